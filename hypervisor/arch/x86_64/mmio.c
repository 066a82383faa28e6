/* SPDX-License-Identifier: Apache-2.0 */
/* MOV decoder for accesses to guest-physical holes (see x86/mmio.h). */
#include <x86/mmio.h>
#include <x86/insn.h>

/* ModRM memory operand length after the ModRM byte (32/64-bit addressing); -1 if a register. */
static int modrm_tail(const uint8_t *b, size_t n, size_t at)
{
    if (at >= n)
        return -1;
    uint8_t m = b[at], mod = m >> 6, rm = m & 7;
    if (mod == 3)
        return -1;
    int tail = 0;
    if (rm == 4) {
        if (at + 1 >= n)
            return -1;
        tail = 1;
        if (mod == 0 && (b[at + 1] & 7) == 5)
            tail += 4;
    } else if (mod == 0 && rm == 5) {
        tail += 4;
    }
    if (mod == 1)
        tail += 1;
    else if (mod == 2)
        tail += 4;
    return tail;
}

int mmio_decode(const uint8_t *b, size_t n, bool long_mode, bool cs_d, struct mmio_op *op)
{
    memset(op, 0, sizeof(*op));
    size_t i = 0;
    bool opsize = false, rex = false;
    uint8_t rexb = 0;
    for (; i < n && i < INSN_MAX_LEN; i++) {
        uint8_t c = b[i];
        if (c == 0x66)
            opsize = true;
        else if (c == 0x67) {
            if (!long_mode)
                return -EINVAL;   /* 16-bit addressing: not decoded */
        } else if (c == 0x26 || c == 0x2E || c == 0x36 || c == 0x3E || c == 0x64 || c == 0x65)
            continue;
        else
            break;
    }
    if (long_mode && i < n && (b[i] & 0xF0) == 0x40) {
        rex = true;
        rexb = b[i++];
    }
    if (i >= n)
        return -EINVAL;
    unsigned osz = (long_mode || cs_d) ? 4 : 2;
    if (opsize)
        osz = osz == 4 ? 2 : 4;
    if (rexb & 8)
        osz = 8;
    uint8_t opc = b[i++];
    bool twobyte = false;
    if (opc == 0x0F) {
        if (i >= n)
            return -EINVAL;
        twobyte = true;
        opc = b[i++];
    }
    if (i >= n)
        return -EINVAL;
    unsigned reg = ((b[i] >> 3) & 7) | ((rexb & 4) ? 8 : 0);
    unsigned imm = 0;
    if (!twobyte && (opc == 0x88 || opc == 0x8A)) {
        op->size = op->reg_size = 1;
        op->write = opc == 0x88;
    } else if (!twobyte && (opc == 0x89 || opc == 0x8B)) {
        op->size = op->reg_size = osz;
        op->write = opc == 0x89;
    } else if (!twobyte && (opc == 0xC6 || opc == 0xC7)) {
        if (reg & 7)
            return -EINVAL;   /* only /0 is MOV */
        op->write = true;
        op->size = opc == 0xC6 ? 1 : osz;
        imm = opc == 0xC6 ? 1 : osz == 2 ? 2 : 4;
    } else if (twobyte && (opc == 0xB6 || opc == 0xB7)) {
        op->size = opc == 0xB6 ? 1 : 2;
        op->reg_size = osz;
    } else {
        return -EINVAL;
    }
    int tail = modrm_tail(b, n, i);
    if (tail < 0)
        return -EINVAL;   /* a register operand cannot fault on memory */
    size_t len = i + 1 + (size_t)tail + imm;
    if (len > n || len > INSN_MAX_LEN)
        return -EINVAL;
    op->len = (unsigned)len;
    op->reg = reg;
    /* Byte registers 4-7 without REX are AH, CH, DH, BH. */
    if (!op->write && op->reg_size == 1 && !rex && reg >= 4) {
        op->high8 = true;
        op->reg = reg - 4;
    }
    return 0;
}

uint64_t mmio_merge(const struct mmio_op *op, uint64_t old, uint64_t val, bool long_mode)
{
    if (op->size < 8)
        val &= (1ULL << (8 * op->size)) - 1;   /* the access's bytes, zero-extended (MOVZX) */
    switch (op->reg_size) {
    case 1:
        if (op->high8)
            return (old & ~0xFF00ULL) | ((val & 0xFF) << 8);
        return (old & ~0xFFULL) | (val & 0xFF);
    case 2:
        return (old & ~0xFFFFULL) | (val & 0xFFFF);
    case 4:
        return long_mode ? (val & 0xFFFFFFFFULL) : (old & ~0xFFFFFFFFULL) | (val & 0xFFFFFFFFULL);
    default:
        return val;
    }
}
