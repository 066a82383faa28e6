/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interrupt/exception stubs and the VMRUN wrapper.
 *
 * Every IDT vector gets a stub that pushes a dummy error code where the CPU
 * pushes none, then the vector, so x86_trap sees one struct trap_frame.
 */
#include <asm/x86.h>

    .text
    .code64

.macro STUB vec
    .align 16
stub_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp trap_common
.endm

.altmacro
.macro STUBS from, to
    STUB \from
    .if \to - \from
    STUBS %(\from + 1), \to
    .endif
.endm
    STUBS 0, 63
    STUBS 64, 127
    STUBS 128, 191
    STUBS 192, 255

trap_common:
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
    cld
    call x86_trap
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
    .align 8
    .globl idt_stubs
idt_stubs:
.macro STUBADDR vec
    .quad stub_\vec
.endm
.macro STUBADDRS from, to
    STUBADDR \from
    .if \to - \from
    STUBADDRS %(\from + 1), \to
    .endif
.endm
    STUBADDRS 0, 63
    STUBADDRS 64, 127
    STUBADDRS 128, 191
    STUBADDRS 192, 255
    .text

/*
 * void svm_run(uint64_t vmcb_pa, struct guest_gprs *regs, uint64_t host_vmsave_pa)
 *
 * VMRUN switches only part of the state; VMLOAD/VMSAVE move the rest (FS,
 * GS, TR, LDTR, KernelGSBase, syscall MSRs), so the host's copy is saved
 * before and reloaded after.  GIF is cleared throughout; IF is set across
 * VMRUN so a physical interrupt ends the guest's run (INTR intercept) and
 * stays pending until the host opens IF again.
 */
    .globl svm_run
svm_run:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdx                   /* 16(%rsp): host VMSAVE area */
    push %rdi                   /*  8(%rsp): VMCB */
    push %rsi                   /*  0(%rsp): guest registers */
    clgi
    mov %rdx, %rax
    vmsave
    mov %rdi, %rax
    vmload
    mov %rsi, %rax
    mov 8(%rax), %rcx
    mov 16(%rax), %rdx
    mov 24(%rax), %rbx
    mov 40(%rax), %rbp
    mov 48(%rax), %rsi
    mov 56(%rax), %rdi
    mov 64(%rax), %r8
    mov 72(%rax), %r9
    mov 80(%rax), %r10
    mov 88(%rax), %r11
    mov 96(%rax), %r12
    mov 104(%rax), %r13
    mov 112(%rax), %r14
    mov 120(%rax), %r15
    mov 8(%rsp), %rax
    sti
    vmrun
    cli
    vmsave                      /* rax = VMCB again (host RAX restored by #VMEXIT) */
    push %rdi
    mov 8(%rsp), %rdi           /* guest registers */
    mov %rcx, 8(%rdi)
    mov %rdx, 16(%rdi)
    mov %rbx, 24(%rdi)
    mov %rbp, 40(%rdi)
    mov %rsi, 48(%rdi)
    mov %r8, 64(%rdi)
    mov %r9, 72(%rdi)
    mov %r10, 80(%rdi)
    mov %r11, 88(%rdi)
    mov %r12, 96(%rdi)
    mov %r13, 104(%rdi)
    mov %r14, 112(%rdi)
    mov %r15, 120(%rdi)
    pop %rax
    mov %rax, 56(%rdi)
    add $16, %rsp
    pop %rax                    /* host VMSAVE area */
    vmload
    stgi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
