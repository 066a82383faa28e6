/* SPDX-License-Identifier: Apache-2.0 */
/* System-register access and the EL2 control bits this hypervisor sets. */
#ifndef ASM_SYSREG_H
#define ASM_SYSREG_H

#include <stdint.h>

#define READ_SYSREG(r) ({ uint64_t _v; __asm__ volatile("mrs %0, " #r : "=r"(_v)); _v; })
#define WRITE_SYSREG(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)) : "memory")
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

/* GICv3 system registers by encoding, so any assembler accepts them. */
#define ICC_IAR1_EL1   S3_0_C12_C12_0
#define ICC_EOIR1_EL1  S3_0_C12_C12_1
#define ICC_PMR_EL1    S3_0_C4_C6_0
#define ICC_BPR1_EL1   S3_0_C12_C12_3
#define ICC_CTLR_EL1   S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1  S3_0_C12_C11_5
#define ICC_SRE_EL2    S3_4_C12_C9_5
#define ICH_AP1R0_EL2  S3_4_C12_C9_0
#define ICH_HCR_EL2    S3_4_C12_C11_0
#define ICH_VTR_EL2    S3_4_C12_C11_1
#define ICH_ELRSR_EL2  S3_4_C12_C11_5
#define ICH_VMCR_EL2   S3_4_C12_C11_7
#define ICH_LR0_EL2    S3_4_C12_C12_0
#define ICH_LR1_EL2    S3_4_C12_C12_1
#define ICH_LR2_EL2    S3_4_C12_C12_2
#define ICH_LR3_EL2    S3_4_C12_C12_3

#define HCR_VM   (1UL << 0)
#define HCR_SWIO (1UL << 1)
#define HCR_FMO  (1UL << 3)
#define HCR_IMO  (1UL << 4)
#define HCR_AMO  (1UL << 5)
#define HCR_FB   (1UL << 9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_TWI  (1UL << 13)
#define HCR_TSC  (1UL << 19)
#define HCR_RW   (1UL << 31)

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_UNKNOWN   0x00
#define EC_WFX       0x01
#define EC_HVC64     0x16
#define EC_SMC64     0x17
#define EC_SYSREG    0x18
#define EC_IABT_LOW  0x20
#define EC_IABT_CUR  0x21
#define EC_DABT_LOW  0x24
#define EC_DABT_CUR  0x25

#define PSTATE_EL1H_MASKED 0x3c5UL

#endif
