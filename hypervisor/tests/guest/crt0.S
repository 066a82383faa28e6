/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest startup at EL1, MMU off.  vCPU 0 enters at _start; other
 * vCPUs enter at guest_secondary_entry (PSCI CPU_ON) with x0 = vCPU id.
 * Each vCPU gets its own 16 KiB stack.  Exceptions land in the vectors
 * below, which save the registers and call guest_exception().
 *
 * The image starts with an arm64 Linux Image header (text_offset 0) so
 * that any loader expecting a kernel - our dom0less builder copies it raw,
 * Xen's insists on a recognised format - places it at the start of RAM.
 */
#define GFRAME 272

    .section .text.boot, "ax"
    .global _start
_start:
    b       image_entry                 /* code0 */
    .long   0                           /* code1 */
    .quad   0                           /* text_offset */
    .quad   _guest_image_size           /* image_size, including bss */
    .quad   0x2                         /* flags: LE, 4K pages */
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0
image_entry:
    mov     x20, x0                     /* the boot DTB, if any */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  ldr     x1, =guest_boot_dtb
    str     x20, [x1]
    mov     x0, #0
    b       common_entry

    .global guest_secondary_entry
guest_secondary_entry:
common_entry:
    ldr     x1, =guest_stacks
    add     x2, x0, #1
    lsl     x2, x2, #14
    add     sp, x1, x2
    ldr     x1, =guest_vectors
    msr     vbar_el1, x1
    isb
    bl      guest_cpu_main
3:  wfi
    b       3b

    .macro GVENTRY kind
    .balign 0x80
    sub     sp, sp, #GFRAME
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       guest_vector_common
    .endm

    .balign 0x800
    .global guest_vectors
guest_vectors:
    GVENTRY 0
    GVENTRY 1
    GVENTRY 2
    GVENTRY 3
    GVENTRY 0       /* EL1h sync */
    GVENTRY 1       /* EL1h IRQ */
    GVENTRY 2
    GVENTRY 3
    GVENTRY 0
    GVENTRY 1
    GVENTRY 2
    GVENTRY 3
    GVENTRY 0
    GVENTRY 1
    GVENTRY 2
    GVENTRY 3

guest_vector_common:
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x30, x2, [sp, #16 * 15]
    str     x3, [sp, #16 * 16]
    mov     x1, x0
    mov     x0, sp
    bl      guest_exception
    ldr     x3, [sp, #16 * 16]
    ldp     x30, x2, [sp, #16 * 15]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #GFRAME
    eret
