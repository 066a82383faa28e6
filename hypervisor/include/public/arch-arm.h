/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm64 guest memory map and interrupt numbers.  The addresses are the ones
 * Xen gives its Arm guests, so a guest written for one finds the same layout.
 */
#ifndef HV_PUBLIC_ARCH_ARM_H
#define HV_PUBLIC_ARCH_ARM_H

#define GUEST_GICV3_GICD_BASE    0x03001000UL
#define GUEST_GICV3_GICD_SIZE    0x00010000UL
#define GUEST_GICV3_GICR0_BASE   0x03020000UL
#define GUEST_GICV3_GICR_STRIDE  0x00020000UL   /* RD_base + SGI_base frames */
#define GUEST_GICV3_GICR0_SIZE   0x01000000UL
#define GUEST_RAM0_BASE          0x40000000UL
#define GUEST_RAM0_SIZE          0xC0000000UL
/* Where guests may place foreign mappings (grant maps, shared_info...). */
#define GUEST_MAGIC_BASE         0x39000000UL
#define GUEST_MAGIC_SIZE         0x01000000UL

#define GUEST_EVTCHN_PPI  31
#define GUEST_VTIMER_PPI  27

/* SMCCC/PSCI over HVC #0 */
#define PSCI_0_2_FN_PSCI_VERSION  0x84000000U
#define PSCI_0_2_FN_CPU_OFF       0x84000002U
#define PSCI_0_2_FN64_CPU_ON      0xC4000003U
#define PSCI_0_2_FN64_AFFINITY_INFO 0xC4000004U
#define PSCI_0_2_FN_SYSTEM_OFF    0x84000008U
#define PSCI_0_2_FN_SYSTEM_RESET  0x84000009U
#define PSCI_1_0_FN_PSCI_FEATURES 0x8400000AU
#define PSCI_SUCCESS          0
#define PSCI_NOT_SUPPORTED   (-1)
#define PSCI_INVALID_PARAMS  (-2)
#define PSCI_DENIED          (-3)
#define PSCI_ALREADY_ON      (-4)

#endif
