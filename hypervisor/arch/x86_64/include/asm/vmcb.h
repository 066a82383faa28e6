/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VMCB field offsets (AMD64 APM vol. 2, appendix B) and SVM exit codes.
 * The VMCB is handled as a page with typed accessors rather than a struct
 * so each offset is written once, as the manual gives it.
 */
#ifndef ASM_VMCB_H
#define ASM_VMCB_H

#include <stdint.h>

struct vmcb {
    uint8_t b[4096];
};

#define VMCB_INTERCEPT_CR    0x000
#define VMCB_INTERCEPT_EXC   0x008
#define VMCB_INTERCEPT_MISC1 0x00C
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_BASE       0x040
#define VMCB_MSRPM_BASE      0x048
#define VMCB_TSC_OFFSET      0x050
#define VMCB_ASID            0x058
#define VMCB_TLB_CTL         0x05C
#define VMCB_VINTR           0x060
#define VMCB_INT_SHADOW      0x068
#define VMCB_EXITCODE        0x070
#define VMCB_EXITINFO1       0x078
#define VMCB_EXITINFO2       0x080
#define VMCB_EXITINTINFO     0x088
#define VMCB_NP_ENABLE       0x090
#define VMCB_EVENTINJ        0x0A8
#define VMCB_NCR3            0x0B0
#define VMCB_CLEAN           0x0C0
/* Save area */
#define VMCB_ES    0x400
#define VMCB_CS    0x410
#define VMCB_SS    0x420
#define VMCB_DS    0x430
#define VMCB_FS    0x440
#define VMCB_GS    0x450
#define VMCB_GDTR  0x460
#define VMCB_LDTR  0x470
#define VMCB_IDTR  0x480
#define VMCB_TR    0x490
#define VMCB_CPL   0x4CB
#define VMCB_EFER  0x4D0
#define VMCB_CR4   0x548
#define VMCB_CR3   0x550
#define VMCB_CR0   0x558
#define VMCB_DR7   0x560
#define VMCB_DR6   0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP   0x578
#define VMCB_RSP   0x5D8
#define VMCB_RAX   0x5F8
#define VMCB_STAR  0x600
#define VMCB_LSTAR 0x608
#define VMCB_CSTAR 0x610
#define VMCB_SFMASK 0x618
#define VMCB_KGSBASE 0x620
#define VMCB_SYSENTER_CS 0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_CR2   0x640
#define VMCB_GPAT  0x668

/* Segment register layout inside the save area. */
#define SEG_SEL    0
#define SEG_ATTR   2
#define SEG_LIMIT  4
#define SEG_BASE   8

/* MISC1 / MISC2 intercept bits. */
#define INTERCEPT_INTR     (1u << 0)
#define INTERCEPT_NMI      (1u << 1)
#define INTERCEPT_INIT     (1u << 3)
#define INTERCEPT_CPUID    (1u << 18)
#define INTERCEPT_INVD     (1u << 22)
#define INTERCEPT_HLT      (1u << 24)
#define INTERCEPT_IOIO     (1u << 27)
#define INTERCEPT_MSR      (1u << 28)
#define INTERCEPT_SHUTDOWN (1u << 31)
#define INTERCEPT_VMRUN    (1u << 0)
#define INTERCEPT_VMMCALL  (1u << 1)
#define INTERCEPT_VMLOAD   (1u << 2)
#define INTERCEPT_VMSAVE   (1u << 3)
#define INTERCEPT_STGI     (1u << 4)
#define INTERCEPT_CLGI     (1u << 5)
#define INTERCEPT_SKINIT   (1u << 6)

#define VINTR_MASKING (1ULL << 24)

#define EXIT_EXCP_BASE 0x40
#define EXIT_INTR      0x60
#define EXIT_NMI       0x61
#define EXIT_INIT      0x63
#define EXIT_CPUID     0x72
#define EXIT_INVD      0x76
#define EXIT_HLT       0x78
#define EXIT_IOIO      0x7B
#define EXIT_MSR       0x7C
#define EXIT_SHUTDOWN  0x7F
#define EXIT_VMRUN     0x80
#define EXIT_VMMCALL   0x81
#define EXIT_VMLOAD    0x82
#define EXIT_VMSAVE    0x83
#define EXIT_STGI      0x84
#define EXIT_CLGI      0x85
#define EXIT_SKINIT    0x86
#define EXIT_NPF       0x400
#define EXIT_INVALID   ((uint64_t)-1)

#define EVENTINJ_VALID (1ULL << 31)
#define EVENTINJ_EV    (1ULL << 11)
#define EVENTINJ_INTR  (0ULL << 8)
#define EVENTINJ_EXC   (3ULL << 8)

static inline uint64_t *vmcb64(struct vmcb *v, unsigned off) { return (uint64_t *)(v->b + off); }
static inline uint32_t *vmcb32(struct vmcb *v, unsigned off) { return (uint32_t *)(v->b + off); }
static inline uint16_t *vmcb16(struct vmcb *v, unsigned off) { return (uint16_t *)(v->b + off); }

#endif
