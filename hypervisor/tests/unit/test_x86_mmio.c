/* SPDX-License-Identifier: Apache-2.0 */
/* MOV decoder for guest-physical holes (arch/x86_64/mmio.c) on byte patterns. */
#include "harness.h"
#include <x86/mmio.h>

static bool dec(const uint8_t *b, size_t n, bool lm, bool write, unsigned size, unsigned reg,
                unsigned reg_size, unsigned len)
{
    struct mmio_op op;
    if (mmio_decode(b, n, lm, true, &op))
        return false;
    return op.write == write && op.size == size && op.len == len &&
           (write || (op.reg == reg && op.reg_size == reg_size));
}

int main(void)
{
    printf("x86-mmio: MOV decoder for accesses to guest-physical holes\n");
    struct mmio_op op;
    static const uint8_t
        ld32[] = { 0x8B, 0x00 },                         /* mov (%rax), %eax */
        ld64[] = { 0x48, 0x8B, 0x4B, 0x08 },             /* mov 8(%rbx), %rcx */
        ld_r9[] = { 0x4C, 0x8B, 0x0C, 0x24 },            /* mov (%rsp), %r9 (SIB) */
        ld16[] = { 0x66, 0x8B, 0x90, 0, 0, 0, 0x10 },    /* mov 0x10000000(%rax), %dx */
        ld8_ah[] = { 0x8A, 0x20 },                       /* mov (%rax), %ah */
        ld8_spl[] = { 0x40, 0x8A, 0x20 },                /* mov (%rax), %spl */
        movzx[] = { 0x0F, 0xB6, 0x07 },                  /* movzbl (%rdi), %eax */
        movzw[] = { 0x48, 0x0F, 0xB7, 0x07 },            /* movzwq (%rdi), %rax */
        st32[] = { 0x89, 0x07 },                         /* mov %eax, (%rdi) */
        st8[] = { 0x88, 0x47, 0x01 },                    /* mov %al, 1(%rdi) */
        st_imm8[] = { 0xC6, 0x04, 0x25, 0, 0, 0, 0x10, 0x5A },   /* movb $0x5a, 0x10000000 */
        st_imm64[] = { 0x48, 0xC7, 0x00, 1, 0, 0, 0 },   /* movq $1, (%rax) */
        st_imm16[] = { 0x66, 0xC7, 0x00, 1, 0 },         /* movw $1, (%rax) */
        riprel[] = { 0x8B, 0x05, 0, 0, 0, 0 },           /* mov 0(%rip), %eax */
        seg[] = { 0x64, 0x8B, 0x00 },                    /* mov %fs:(%rax), %eax */
        regop[] = { 0x89, 0xC0 },                        /* mov %eax, %eax: no memory */
        c7_not0[] = { 0xC7, 0x08, 1, 0, 0, 0 },          /* C7 /1: not a MOV */
        rep[] = { 0xF3, 0xA5 },                          /* rep movsl */
        lockadd[] = { 0xF0, 0x01, 0x00 },                /* lock add */
        inc32[] = { 0x40, 0x8B, 0x00 };                  /* inc %eax; ... outside long mode */
    CHECK(dec(ld32, 2, true, false, 4, 0, 4, 2), "mov (%%rax), %%eax");
    CHECK(dec(ld64, 4, true, false, 8, 1, 8, 4), "REX.W load with disp8");
    CHECK(dec(ld_r9, 4, true, false, 8, 9, 8, 4), "REX.R destination and a SIB byte");
    CHECK(dec(ld16, 7, true, false, 2, 2, 2, 7), "0x66 load with disp32");
    CHECK(mmio_decode(ld8_ah, 2, true, true, &op) == 0 && op.high8 && op.reg == 0 && op.size == 1,
          "byte load into AH");
    CHECK(mmio_decode(ld8_spl, 3, true, true, &op) == 0 && !op.high8 && op.reg == 4,
          "with REX, byte register 4 is SPL");
    CHECK(dec(movzx, 3, true, false, 1, 0, 4, 3) && dec(movzw, 4, true, false, 2, 0, 8, 4), "movzx");
    CHECK(dec(st32, 2, true, true, 4, 0, 0, 2) && dec(st8, 3, true, true, 1, 0, 0, 3), "stores");
    CHECK(dec(st_imm8, 8, true, true, 1, 0, 0, 8), "movb imm8 to an absolute address (SIB, no base)");
    CHECK(dec(st_imm64, 7, true, true, 8, 0, 0, 7), "movq imm32 sign-extended");
    CHECK(dec(st_imm16, 5, true, true, 2, 0, 0, 5), "movw imm16");
    CHECK(dec(riprel, 6, true, false, 4, 0, 4, 6), "RIP-relative");
    CHECK(dec(seg, 3, true, false, 4, 0, 4, 3), "segment prefix");
    CHECK(mmio_decode(ld32, 2, false, true, &op) == 0 && op.size == 4, "32-bit code, CS.D");
    CHECK(mmio_decode(ld32, 2, false, false, &op) == 0 && op.size == 2, "16-bit default operand size");
    CHECK(mmio_decode(regop, 2, true, true, &op) == -EINVAL, "register operand refused");
    CHECK(mmio_decode(c7_not0, 6, true, true, &op) == -EINVAL, "C7 /1 refused");
    CHECK(mmio_decode(rep, 2, true, true, &op) == -EINVAL, "string op refused");
    CHECK(mmio_decode(lockadd, 3, true, true, &op) == -EINVAL, "read-modify-write refused");
    CHECK(mmio_decode(inc32, 3, false, true, &op) == -EINVAL, "0x40 is INC outside long mode");
    CHECK(mmio_decode(ld64, 3, true, true, &op) == -EINVAL && mmio_decode(st_imm8, 7, true, true, &op) == -EINVAL,
          "truncated displacement / immediate refused");
    CHECK(mmio_decode(ld32, 0, true, true, &op) == -EINVAL, "no bytes refused");
    uint8_t many[20];
    memset(many, 0x2E, sizeof(many));
    many[14] = 0x8B;
    many[15] = 0x00;
    CHECK(mmio_decode(many, sizeof(many), true, true, &op) == -EINVAL, "over 15 bytes refused");

    struct mmio_op o = { .size = 1, .reg_size = 1 };
    CHECK(mmio_merge(&o, 0x1122334455667788ULL, ~0ULL, true) == 0x11223344556677FFULL, "byte merge");
    o.high8 = true;
    CHECK(mmio_merge(&o, 0x1122334455667788ULL, ~0ULL, true) == 0x112233445566FF88ULL, "high byte merge");
    o = (struct mmio_op){ .size = 2, .reg_size = 2 };
    CHECK(mmio_merge(&o, 0x1122334455667788ULL, ~0ULL, true) == 0x112233445566FFFFULL, "word merge");
    o.size = o.reg_size = 4;
    CHECK(mmio_merge(&o, 0x1122334455667788ULL, ~0ULL, true) == 0xFFFFFFFFULL, "dword zero-extends in long mode");
    o.size = o.reg_size = 8;
    CHECK(mmio_merge(&o, 0, ~0ULL, true) == ~0ULL, "qword");
    CHECK(mmio_decode(movzw, 4, true, true, &op) == 0 && mmio_merge(&op, 5, ~0ULL, true) == 0xFFFF,
          "movzwq: two bytes zero-extended to 64 bits");
    return harness_finish("x86-mmio");
}
