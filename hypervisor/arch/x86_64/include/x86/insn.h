/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Length decoder for the instructions that cause SVM exits.  QEMU's TCG
 * provides no next-RIP, so the hypervisor reads the bytes at the guest's
 * RIP and decodes them itself; it also checks that they are the instruction
 * the exit claims (a guest could rewrite its code from another vCPU).
 */
#ifndef X86_INSN_H
#define X86_INSN_H

#include <hv/lib.h>

#define INSN_MAX_LEN 15

enum insn_op {
    INSN_OTHER, INSN_HLT, INSN_CPUID, INSN_RDMSR, INSN_WRMSR, INSN_RDTSC, INSN_RDTSCP,
    INSN_VMMCALL, INSN_VMCALL, INSN_UD2, INSN_IN, INSN_OUT, INSN_INS, INSN_OUTS, INSN_WBINVD,
    INSN_INVD,
};

struct insn {
    enum insn_op op;
    unsigned len;
    unsigned nprefix;        /* legacy + REX prefix bytes */
    bool opsize16;           /* 0x66 seen */
    bool rep;                /* 0xF3 seen */
};

/*
 * Decodes the instruction in b[0..n).  long_mode: CS.L (REX prefixes
 * exist).  Returns 0, or -EINVAL if the bytes are truncated, too long, or
 * not one of the instructions above.
 */
int insn_decode(const uint8_t *b, size_t n, bool long_mode, struct insn *out);

#endif
