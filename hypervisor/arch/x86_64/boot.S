/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 entry.  The image carries a multiboot1 header (QEMU -kernel loads
 * only ELF32 multiboot1 images, hence the objcopy to elf32-i386) and a
 * multiboot2 header (GRUB's multiboot2 command).  Both loaders enter here in
 * 32-bit protected mode with paging off, the magic in EAX and the info
 * pointer in EBX.  We build identity page tables for the low 4 GiB with
 * 2 MiB pages, enable PAE + long mode + paging, and jump to 64-bit C.
 */
#include <asm/x86.h>
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS 0x00000003          /* page-aligned modules, memory map */
#define MB2_MAGIC 0xE85250D6

    .section .text.head, "ax"
    .code32
    .align 4
mb1_header:
    .long MB1_MAGIC, MB1_FLAGS, -(MB1_MAGIC + MB1_FLAGS)

    .align 8
mb2_header:
    .long MB2_MAGIC, 0, mb2_end - mb2_header
    .long -(MB2_MAGIC + 0 + (mb2_end - mb2_header))
    /* module alignment tag: modules page-aligned */
    .word 6, 0
    .long 8
    /* end tag */
    .word 0, 0
    .long 8
mb2_end:

    .globl _start
_start:
    cli
    cld
    mov %eax, %edi                    /* loader magic, kept for C */
    mov %ebx, %esi                    /* info pointer */
    mov $(boot_stack_top), %esp
    /* Zero .bss ourselves: the page tables below rely on it. */
    mov %edi, %edx
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov %edx, %edi

    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..3; PDn: 512 x 2 MiB, RW, present. */
    mov $pml4, %eax
    movl $(pdpt + 0x3), (%eax)
    mov $pdpt, %eax
    movl $(pd + 0x3), 0(%eax)
    movl $(pd + 0x1003), 8(%eax)
    movl $(pd + 0x2003), 16(%eax)
    movl $(pd + 0x3003), 24(%eax)
    mov $pd, %ebx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                    /* PS | RW | P */
    mov %eax, (%ebx, %ecx, 8)
    mov %ecx, %eax
    shr $11, %eax                     /* high dword: bits 32+ of (ecx << 21) */
    mov %eax, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 1b

    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax   /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx             /* EFER.LME */
    rdmsr
    or $(1 << 8), %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax              /* PG, WP, PE */
    and $~0x6, %eax                   /* clear EM, MP: FPU/SSE usable for fxsave */
    mov %eax, %cr0
    lgdt boot_gdtr
    ljmp $0x08, $long_entry

    .code64
long_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    /* The boot stack is pcpu 0's stack; its top slot names the pcpu. */
    lea hv_stacks + STACK_SIZE, %rsp
    sub $16, %rsp
    call start_hv                     /* (magic, info): never returns */
2:  hlt
    jmp 2b

    .section .rodata
    .align 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF          /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF          /* 0x10: data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss
    .align 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096 * 4
boot_stack: .skip 4096
boot_stack_top:

/*
 * SMP trampoline, copied to TRAMPOLINE_PA (below 1 MiB) by the boot CPU and
 * entered by each AP's STARTUP IPI in real mode at CS = TRAMPOLINE_PA >> 4.
 * It goes to 32-bit protected mode, then to long mode on the boot page
 * tables, and jumps into the image at ap_entry64.
 */
#define TR(x) (TRAMPOLINE_PA + ((x) - trampoline_start))
    .section .rodata
    .code16
    .globl trampoline_start, trampoline_end
trampoline_start:
    cli
    mov %cs, %ax
    mov %ax, %ds
    lgdtl (tr_gdtr - trampoline_start)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x18, $TR(tr32)
    .code32
tr32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax
    and $~0x6, %eax
    mov %eax, %cr0
    ljmp $0x08, $TR(tr64)
    .code64
tr64:
    movabs $ap_entry64, %rax
    jmp *%rax
    .align 8
tr_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF          /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF          /* 0x10: data */
    .quad 0x00CF9A000000FFFF          /* 0x18: 32-bit code */
tr_gdtr:
    .word tr_gdtr - tr_gdt - 1
    .long TR(tr_gdt)
trampoline_end:

    .text
    .code64
ap_entry64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov ap_stack_top(%rip), %rsp
    call secondary_start
4:  hlt
    jmp 4b
