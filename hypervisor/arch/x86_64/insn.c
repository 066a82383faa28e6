/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instruction-length decoder for exiting instructions (see x86/insn.h).
 * Only what can exit under our intercepts is recognised; anything else is
 * refused rather than guessed, and the caller injects #UD or crashes the
 * domain.  Pure code, unit-tested on the host.
 */
#include <x86/insn.h>

static bool is_legacy_prefix(uint8_t c)
{
    switch (c) {
    case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:   /* segments */
    case 0x66: case 0x67:                                               /* sizes */
    case 0xF0: case 0xF2: case 0xF3:                                    /* lock, rep */
        return true;
    default:
        return false;
    }
}

static int finish(struct insn *out, enum insn_op op, unsigned len, size_t n)
{
    if (len > n || len > INSN_MAX_LEN)
        return -EINVAL;
    out->op = op;
    out->len = len;
    return 0;
}

int insn_decode(const uint8_t *b, size_t n, bool long_mode, struct insn *out)
{
    memset(out, 0, sizeof(*out));
    unsigned i = 0;
    while (i < n && i < INSN_MAX_LEN && is_legacy_prefix(b[i])) {
        if (b[i] == 0x66)
            out->opsize16 = true;
        if (b[i] == 0xF3)
            out->rep = true;
        i++;
    }
    /* REX counts only directly before the opcode, and only in 64-bit code. */
    if (long_mode && i < n && (b[i] & 0xF0) == 0x40)
        i++;
    out->nprefix = i;
    if (i >= n)
        return -EINVAL;
    uint8_t op = b[i];
    switch (op) {
    case 0xF4: return finish(out, INSN_HLT, i + 1, n);
    case 0xE4: case 0xE5: return finish(out, INSN_IN, i + 2, n);    /* in al/eax, imm8 */
    case 0xE6: case 0xE7: return finish(out, INSN_OUT, i + 2, n);
    case 0xEC: case 0xED: return finish(out, INSN_IN, i + 1, n);    /* in al/eax, dx */
    case 0xEE: case 0xEF: return finish(out, INSN_OUT, i + 1, n);
    case 0x6C: case 0x6D: return finish(out, INSN_INS, i + 1, n);
    case 0x6E: case 0x6F: return finish(out, INSN_OUTS, i + 1, n);
    case 0x0F: break;
    default: return -EINVAL;
    }
    if (i + 1 >= n)
        return -EINVAL;
    switch (b[i + 1]) {
    case 0xA2: return finish(out, INSN_CPUID, i + 2, n);
    case 0x30: return finish(out, INSN_WRMSR, i + 2, n);
    case 0x31: return finish(out, INSN_RDTSC, i + 2, n);
    case 0x32: return finish(out, INSN_RDMSR, i + 2, n);
    case 0x0B: return finish(out, INSN_UD2, i + 2, n);
    case 0x08: return finish(out, INSN_INVD, i + 2, n);
    case 0x09: return finish(out, INSN_WBINVD, i + 2, n);
    case 0x01:
        if (i + 2 >= n)
            return -EINVAL;
        switch (b[i + 2]) {
        case 0xD9: return finish(out, INSN_VMMCALL, i + 3, n);
        case 0xC1: return finish(out, INSN_VMCALL, i + 3, n);
        case 0xF9: return finish(out, INSN_RDTSCP, i + 3, n);
        default: return -EINVAL;
        }
    default:
        return -EINVAL;
    }
}
