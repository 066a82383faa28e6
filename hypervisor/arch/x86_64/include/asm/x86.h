/* SPDX-License-Identifier: Apache-2.0 */
/* x86-64-internal interfaces between the arch files, and CPU helpers. */
#ifndef ASM_X86_H
#define ASM_X86_H

#define STACK_SIZE 16384
#define GDT_CS64 0x08
#define GDT_DS   0x10
#define GDT_TSS  0x18
#define TRAMPOLINE_PA 0x6000   /* SMP trampoline page (STARTUP vector 6) */

#ifndef __ASSEMBLER__
#include <hv/config.h>
#include <hv/lib.h>
#include <asm/vcpu.h>

struct vcpu;

/* The frame pushed by the IDT stubs (entry.S). */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

struct tss64 {
    uint32_t rsvd0;
    uint64_t rsp[3];
    uint64_t rsvd1;
    uint64_t ist[7];
    uint64_t rsvd2;
    uint16_t rsvd3, iomap_base;
} __attribute__((packed));

struct pcpu {
    unsigned int id;
    uint32_t apic_id;
    struct vcpu *cur;
    volatile bool need_resched;
    uint64_t slice_end;
    uint64_t host_save_pa;   /* VM_HSAVE_PA area */
    uint64_t host_vmsave_pa; /* VMSAVE area for host FS/GS/TR/LDTR/syscall MSRs */
    struct tss64 tss;
    uint64_t gdt[5];
};

extern struct pcpu pcpus[HV_MAX_PCPUS];
extern unsigned int nr_pcpus_online;
extern uint8_t hv_stacks[HV_MAX_PCPUS][STACK_SIZE];

/* Each pCPU runs on its own STACK_SIZE-aligned stack whose top slot names it. */
static inline struct pcpu *this_pcpu(void)
{
    uint64_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    return *(struct pcpu **)((sp & ~(uint64_t)(STACK_SIZE - 1)) + STACK_SIZE - 16);
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define MSR_EFER        0xC0000080
#define EFER_SCE        (1ULL << 0)
#define EFER_LME        (1ULL << 8)
#define EFER_LMA        (1ULL << 10)
#define EFER_NXE        (1ULL << 11)
#define EFER_SVME       (1ULL << 12)
#define MSR_VM_HSAVE_PA 0xC0010117
#define MSR_APIC_BASE   0x1B
#define MSR_PAT         0x277

/* entry.S */
extern uint64_t idt_stubs[];
void svm_run(uint64_t vmcb_pa, struct guest_gprs *regs, uint64_t host_vmsave_pa);
extern char trampoline_start[], trampoline_end[];
extern uint64_t ap_stack_top;
void secondary_start(void);

/* uart.c */
void uart_init(void);

/* svm.c */
void svm_cpu_init(struct pcpu *p);
void start_scheduling(void) __attribute__((noreturn));

/* apic.c */
void apic_init_cpu(void);
uint32_t apic_id(void);
void apic_timer_oneshot(uint64_t tsc_deadline);
void apic_eoi(void);
void apic_send_ipi(uint32_t apic_id, uint32_t vector);
void apic_send_init_sipi(uint32_t apic_id, uint32_t page);
extern uint64_t tsc_hz;
void tsc_calibrate(void);
#define VEC_TIMER  0x20
#define VEC_KICK   0x21
#define VEC_SPURIOUS 0xFF

/* setup.c */
void start_hv(uint32_t magic, uint32_t info);
void x86_trap(struct trap_frame *f);
void cpu_load_descriptors(struct pcpu *p);
void hv_timer_interrupt(struct pcpu *p);   /* svm.c */
#endif
#endif
