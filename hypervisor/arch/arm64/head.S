/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry points and exception vectors.
 *
 * The image starts with the arm64 Linux Image header so that QEMU's -kernel,
 * U-Boot's booti and UEFI stubs load it: they place it at a 2 MiB aligned
 * RAM base + text_offset and enter at EL2 with x0 = the DTB's address.  The
 * hypervisor is linked at that address (0x40200000 on QEMU virt), so it
 * refuses to run anywhere else rather than run mis-relocated.
 */
#define FRAME_SIZE 272
#define STACK_SIZE 16384

    .section .text.head, "ax"
    .global _start
_start:
    b       primary_entry               /* code0 */
    .long   0                           /* code1 */
    .quad   0x200000                    /* text_offset */
    .quad   _image_size                 /* image_size, including bss */
    .quad   0x2                         /* flags: LE, 4K pages, near the RAM base */
    .quad   0, 0, 0                     /* res2..res4 */
    .ascii  "ARM\x64"                   /* magic */
    .long   0                           /* res5: no PE/COFF header */

primary_entry:
    msr     daifset, #0xf
    mov     x21, x0                     /* DTB */
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    hang
    adr     x1, _start
    ldr     x2, =_start
    cmp     x1, x2
    b.ne    hang                        /* loaded somewhere we are not linked for */
    /* Clear .bss (stacks and page tables live there) with the MMU off. */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  ldr     x1, =hv_stacks
    add     x1, x1, #STACK_SIZE
    mov     sp, x1
    ldr     x1, =hv_vectors
    msr     vbar_el2, x1
    isb
    bl      mmu_build_tables
    bl      mmu_enable
    mov     x0, x21
    bl      start_hv
hang:
    wfe
    b       hang

/* PSCI CPU_ON lands here with the MMU off; x0 = logical CPU number. */
    .global secondary_entry
secondary_entry:
    msr     daifset, #0xf
    mov     x19, x0
    ldr     x1, =hv_stacks
    add     x2, x0, #1
    mov     x3, #STACK_SIZE
    madd    x1, x2, x3, x1
    mov     sp, x1
    ldr     x1, =hv_vectors
    msr     vbar_el2, x1
    isb
    bl      mmu_enable
    mov     x0, x19
    bl      secondary_start
    b       hang

/* ------------------------------------------------------------------ */
    .macro SAVE_FRAME
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
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
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x30, x0, [sp, #16 * 15]
    str     x1, [sp, #16 * 16]
    .endm

    .macro RESTORE_FRAME_ERET
    ldr     x1, [sp, #16 * 16]
    ldp     x30, x0, [sp, #16 * 15]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldp     x0, x1, [sp, #16 * 0]
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
    add     sp, sp, #FRAME_SIZE
    eret
    .endm

    .macro VENTRY target
    .balign 0x80
    b       \target
    .endm

    .balign 0x800
    .global hv_vectors
hv_vectors:
    VENTRY  hyp_fault_sync      /* current EL, SP_EL0 */
    VENTRY  hyp_fault_other
    VENTRY  hyp_fault_other
    VENTRY  hyp_fault_other
    VENTRY  hyp_fault_sync      /* current EL, SP_ELx */
    VENTRY  hyp_irq
    VENTRY  hyp_fault_other
    VENTRY  hyp_fault_other
    VENTRY  guest_sync          /* lower EL, AArch64 */
    VENTRY  guest_irq
    VENTRY  guest_other
    VENTRY  guest_other
    VENTRY  guest_other         /* lower EL, AArch32: never enabled */
    VENTRY  guest_other
    VENTRY  guest_other
    VENTRY  guest_other

hyp_fault_sync:
    SAVE_FRAME
    mov     x0, sp
    mov     x1, #0
    bl      hyp_fault
    b       hang
hyp_fault_other:
    SAVE_FRAME
    mov     x0, sp
    mov     x1, #1
    bl      hyp_fault
    b       hang
hyp_irq:
    SAVE_FRAME
    mov     x0, sp
    bl      hyp_irq_handler
    RESTORE_FRAME_ERET
guest_sync:
    SAVE_FRAME
    mov     x0, sp
    bl      guest_sync_handler
    b       return_to_guest
guest_irq:
    SAVE_FRAME
    mov     x0, sp
    bl      guest_irq_handler
    b       return_to_guest
guest_other:
    SAVE_FRAME
    mov     x0, sp
    bl      guest_serror_handler
    b       return_to_guest

/* The frame at sp is the (possibly switched) vCPU's; run it. */
return_to_guest:
    mov     x0, sp
    bl      exit_to_guest
    RESTORE_FRAME_ERET

/* void enter_guest_first(struct cpu_regs *frame): discard the boot stack. */
    .global enter_guest_first
enter_guest_first:
    mov     sp, x0
    b       return_to_guest

/* Host PSCI and SMCCC calls. */
    .global smc_call
smc_call:
    smc     #0
    ret
    .global hvc_call
hvc_call:
    hvc     #0
    ret
