/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 micro-guest entry (PVH).  The hypervisor starts us in flat 32-bit
 * protected mode, paging off, EBX = hvm_start_info.  We map the first
 * 1 GiB 1:1 with 2 MiB pages, switch to long mode, install an IDT whose
 * stubs call guest_exception(), and call guest_start(start_info).
 */
    .section .note.Xen, "a", @note
    .align 4
    .long 4, 4, 18                    /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    mov %ebx, %esi
    mov $g_pml4, %edi
    movl $(g_pdpt + 0x3), (%edi)
    mov $g_pdpt, %edi
    movl $(g_pd + 0x3), (%edi)
    mov $g_pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%edi, %ecx, 8)
    movl $0, 4(%edi, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
    mov %cr4, %eax
    or $(1 << 5), %eax                /* PAE */
    mov %eax, %cr4
    mov $g_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx             /* EFER.LME (the hypervisor emulates this MSR) */
    rdmsr
    or $(1 << 8), %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    lgdt g_gdtr
    ljmp $0x08, $2f
    .code64
2:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    lea guest_stacks + 16384, %rsp
    mov %rsi, %rdi
    call guest_start
3:  hlt
    jmp 3b

/*
 * Secondary vCPUs (VCPUOP_initialise, see lib.c): guest_ap32 is entered in
 * flat 32-bit protected mode with paging off and switches to long mode on
 * the boot vCPU's tables; guest_ap64 is entered in 64-bit mode on them.
 * Both have ESP/RSP at their stack top and EDI = vCPU id.
 */
    .code32
    .globl guest_ap32
guest_ap32:
    cli
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $g_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    lgdt g_gdtr
    ljmp $0x08, $guest_ap64

/*
 * guest_ap32_paged: like guest_ap32, but first makes three console_io
 * hypercalls (32-bit register convention) with pointers that only mean
 * something through 32-bit paging: a message seen through an alias at
 * 1 GiB under 2-level paging with 4 MiB pages, the same under PAE paging
 * with 2 MiB pages, and an unmapped address.  Results in paged32_rc[3].
 */
    .globl guest_ap32_paged
guest_ap32_paged:
    cli
    mov %cr4, %eax
    or $(1 << 4), %eax                /* PSE */
    mov %eax, %cr4
    movl $0x83, g_pd32                /* 0-4 MiB: identity, 4 MiB page */
    movl $0x83, g_pd32 + 256 * 4      /* 1 GiB: alias of 0-4 MiB */
    mov $g_pd32, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    mov $18, %eax                     /* console_io(CONSOLEIO_write, len, alias of msg) */
    xor %ebx, %ebx
    mov $(paged32_msg_end - paged32_msg), %ecx
    mov $(paged32_msg + 0x40000000), %edx
    vmmcall
    mov %eax, paged32_rc
    mov $18, %eax                     /* an address 32-bit paging leaves unmapped */
    xor %ebx, %ebx
    mov $4, %ecx
    mov $0x80000000, %edx
    vmmcall
    mov %eax, paged32_rc + 8
    mov %cr0, %eax                    /* paging off, then PAE */
    and $0x7FFFFFFF, %eax
    mov %eax, %cr0
    movl $(g_pdpae + 1), g_pdpt32     /* PDPTE 0 and 1 (1 GiB alias) -> the same PD */
    movl $(g_pdpae + 1), g_pdpt32 + 8
    movl $0x83, g_pdpae               /* 0-2 MiB */
    movl $0x200083, g_pdpae + 8       /* 2-4 MiB */
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $g_pdpt32, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    mov $18, %eax
    xor %ebx, %ebx
    mov $(paged32_msg_end - paged32_msg), %ecx
    mov $(paged32_msg + 0x40000000), %edx
    vmmcall
    mov %eax, paged32_rc + 4
    mov %cr0, %eax
    and $0x7FFFFFFF, %eax
    mov %eax, %cr0
    jmp guest_ap32

    .code64
    .globl guest_ap64
guest_ap64:
    lgdt g_gdtr
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    pushq $0x08
    lea 4f(%rip), %rax
    push %rax
    lretq
4:  call guest_ap_start
5:  hlt
    jmp 5b

/* Exception stubs 0..31: push a dummy error code where the CPU pushes none. */
.macro XSTUB vec
    .align 16
xstub_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17)
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp xcommon
.endm
.altmacro
.macro XSTUBS from, to
    XSTUB \from
    .if \to - \from
    XSTUBS %(\from + 1), \to
    .endif
.endm
    XSTUBS 0, 47

xcommon:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    call guest_exception
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

    .section .rodata
paged32_msg:
    .ascii "  (console_io through 32-bit paging)\n"
paged32_msg_end:
    .align 8
    .globl guest_xstubs
guest_xstubs:
.macro XADDR vec
    .quad xstub_\vec
.endm
.macro XADDRS from, to
    XADDR \from
    .if \to - \from
    XADDRS %(\from + 1), \to
    .endif
.endm
    XADDRS 0, 47

    .align 16
g_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF
    .quad 0x00CF92000000FFFF
g_gdt_end:
g_gdtr:
    .word g_gdt_end - g_gdt - 1
    .quad g_gdt

    .section .bss
    .align 4096
    .globl g_pml4
g_pml4: .skip 4096
g_pdpt: .skip 4096
g_pd:   .skip 4096
g_pd32: .skip 4096                    /* guest_ap32_paged's tables */
g_pdpae: .skip 4096
g_pdpt32: .skip 32
    .align 8
    .globl paged32_rc
paged32_rc: .skip 12
