/* SPDX-License-Identifier: Apache-2.0 */
/* The guest memory map common code needs (GUEST_RAM0_BASE): Arm's, as Xen gives it. */
#ifndef ASM_GUEST_LAYOUT_H
#define ASM_GUEST_LAYOUT_H
#include <public/arch-arm.h>
#endif
