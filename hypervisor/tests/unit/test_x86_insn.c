/* SPDX-License-Identifier: Apache-2.0 */
/* x86 instruction-length decoder (arch/x86_64/insn.c) on byte patterns. */
#include "harness.h"
#include <x86/insn.h>

static bool dec(const uint8_t *b, size_t n, bool lm, enum insn_op op, unsigned len)
{
    struct insn in;
    return insn_decode(b, n, lm, &in) == 0 && in.op == op && in.len == len;
}

int main(void)
{
    printf("x86-insn: exiting-instruction length decoder\n");
    static const uint8_t cpuid[] = { 0x0F, 0xA2 }, vmmcall[] = { 0x0F, 0x01, 0xD9 },
                         hlt[] = { 0xF4 }, rdmsr[] = { 0x0F, 0x32 }, wrmsr[] = { 0x0F, 0x30 },
                         rex_wrmsr[] = { 0x48, 0x0F, 0x30 }, pfx_cpuid[] = { 0x66, 0x2E, 0x0F, 0xA2 },
                         in_imm[] = { 0xE4, 0x71 }, out_dx[] = { 0x66, 0xEF }, rep_outs[] = { 0xF3, 0x6E },
                         vmcall[] = { 0x0F, 0x01, 0xC1 }, ud2[] = { 0x0F, 0x0B }, nop[] = { 0x90 },
                         trunc[] = { 0x0F, 0x01 }, rdtscp[] = { 0x0F, 0x01, 0xF9 };
    CHECK(dec(cpuid, 2, true, INSN_CPUID, 2), "cpuid is 2 bytes");
    CHECK(dec(vmmcall, 3, true, INSN_VMMCALL, 3), "vmmcall is 3 bytes");
    CHECK(dec(hlt, 1, false, INSN_HLT, 1), "hlt is 1 byte");
    CHECK(dec(rdmsr, 2, false, INSN_RDMSR, 2) && dec(wrmsr, 2, false, INSN_WRMSR, 2), "rdmsr/wrmsr");
    CHECK(dec(rex_wrmsr, 3, true, INSN_WRMSR, 3), "REX prefix counts in long mode");
    CHECK(!dec(rex_wrmsr, 3, false, INSN_WRMSR, 3), "0x48 is not a prefix outside long mode");
    CHECK(dec(pfx_cpuid, 4, true, INSN_CPUID, 4), "legacy prefixes count");
    CHECK(dec(in_imm, 2, false, INSN_IN, 2) && dec(out_dx, 2, false, INSN_OUT, 2), "in imm8 / out dx");
    CHECK(dec(rep_outs, 2, false, INSN_OUTS, 2), "rep outs");
    CHECK(dec(vmcall, 3, true, INSN_VMCALL, 3) && dec(ud2, 2, true, INSN_UD2, 2) &&
              dec(rdtscp, 3, true, INSN_RDTSCP, 3),
          "vmcall, ud2, rdtscp");
    struct insn in;
    CHECK(insn_decode(nop, 1, true, &in) == -EINVAL, "nop is not an exiting instruction");
    CHECK(insn_decode(trunc, 2, true, &in) == -EINVAL, "truncated 0F 01 refused");
    CHECK(insn_decode(cpuid, 1, true, &in) == -EINVAL, "truncated cpuid refused");
    CHECK(insn_decode(cpuid, 0, true, &in) == -EINVAL, "no bytes refused");
    uint8_t many[20];
    memset(many, 0x66, sizeof(many));
    many[14] = 0x0F;
    many[15] = 0xA2;
    CHECK(insn_decode(many, sizeof(many), true, &in) == -EINVAL, "over 15 bytes refused");
    many[12] = 0x0F;
    many[13] = 0xA2;
    CHECK(dec(many, sizeof(many), true, INSN_CPUID, 14), "12 prefixes + cpuid = 14 bytes");
    return harness_finish("x86-insn");
}
