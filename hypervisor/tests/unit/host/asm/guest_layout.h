/* SPDX-License-Identifier: Apache-2.0 */
/* Host-side unit tests use the Arm guest memory map (GUEST_RAM0_BASE). */
#ifndef ASM_GUEST_LAYOUT_H
#define ASM_GUEST_LAYOUT_H
#include <public/arch-arm.h>
#endif
