/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 PVH guest memory map: RAM from guest-physical 0, as Xen's PVH guests
 * see it; the start info page sits at 0x1000 and images load at 1 MiB.
 */
#ifndef HV_PUBLIC_ARCH_X86_H
#define HV_PUBLIC_ARCH_X86_H

#define GUEST_RAM0_BASE          0x00000000UL
#define GUEST_RAM0_SIZE          0xC0000000UL
#define GUEST_PVH_START_INFO     0x00001000UL
#define GUEST_PVH_IMAGE_BASE     0x00100000UL

#endif
