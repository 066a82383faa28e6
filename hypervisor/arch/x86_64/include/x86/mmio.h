/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder for the plain MOVs a guest uses on memory-mapped I/O, so that an
 * access to a hole in its guest-physical space can be completed the way
 * Xen completes it without a device model: reads return all ones, writes
 * are dropped.  Anything else (string ops, read-modify-write, LOCK/REP) is
 * refused and the caller crashes the domain, as Xen does with accesses it
 * cannot emulate.  Pure code, unit-tested on the host.
 */
#ifndef X86_MMIO_H
#define X86_MMIO_H

#include <hv/lib.h>

struct mmio_op {
    unsigned len;        /* instruction length */
    bool write;          /* store to memory (else load into reg) */
    unsigned size;       /* memory access size: 1, 2, 4 or 8 */
    unsigned reg;        /* load destination (0-15, x86 encoding order) */
    unsigned reg_size;   /* destination width: 1, 2, 4 or 8 */
    bool high8;          /* destination is AH/CH/DH/BH (reg 0-3, bits 15:8) */
};

/*
 * Decodes b[0..n).  long_mode: CS.L; cs_d: CS.D (32-bit default operand
 * size outside long mode).  Returns 0 or -EINVAL.
 */
int mmio_decode(const uint8_t *b, size_t n, bool long_mode, bool cs_d, struct mmio_op *op);

/*
 * The new value of a 64-bit register after a load of `val` (op->size
 * bytes, zero-extended to the destination for MOVZX) into it: 32-bit destinations are zero-extended in long mode (as the CPU
 * does), 8- and 16-bit ones merge.
 */
uint64_t mmio_merge(const struct mmio_op *op, uint64_t old, uint64_t val, bool long_mode);

#endif
