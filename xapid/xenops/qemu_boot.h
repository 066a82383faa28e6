/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HVM boot of a QEMU domain (qemu_boot.c): the firmware (SeaBIOS, or OVMF
 * for HVM_boot_params firmware=uefi) and the boot order.
 *
 * XAPI's HVM_boot_params order ("dc", "cd", "c" …: c = disk, d = CD,
 * n = network) becomes a bootindex on each device of the classes named,
 * in the order given (disks and CDs by userdevice number), with
 * `-boot strict=on` so the firmware tries nothing else: with -nodefaults
 * bootindex is what SeaBIOS and OVMF both honour (-boot order= only
 * covers the legacy BIOS drive classes).
 */
#ifndef HALYARD_XENOPS_QEMU_BOOT_H
#define HALYARD_XENOPS_QEMU_BOOT_H

#include <stdbool.h>

#include "xenops.h"

/* XAPI's default order when HVM_boot_params has none. */
#define XO_BOOT_DEFAULT_ORDER "cd"

/* Firmware values of HVM_boot_params:firmware ("bios" when absent). */
bool xo_firmware_valid(const char *firmware);

/* The bootindex of s->disks[i], or -1 (not hvm, or its class is not in
 * the order). */
int xo_boot_index(const xo_spec *s, size_t i);
/* The bootindex of s->nics[i] ('n' in the order), or -1. */
int xo_boot_index_nic(const xo_spec *s, size_t i);

/* Prepares what the firmware needs before QEMU starts (uefi: the
 * per-VM NVRAM copy <dir>/nvram.fd of OVMF_VARS; bios: the fw_cfg file
 * <dir>/fw-sercon-port that puts SeaBIOS's messages on the serial port). */
xerr *xo_boot_prepare(const xo_spec *s);

/* Adds the firmware and boot arguments of s (hvm only). */
void xo_qemu_boot_argv(const xo_spec *s, void (*add)(void *a, char *s), void *a);

#endif
