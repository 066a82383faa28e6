/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local APIC (xAPIC MMIO; QEMU's TCG has no x2APIC on Debian 12's QEMU 7.2)
 * and time.  The TSC is the clock (arch_now); both the TSC and the APIC
 * timer are calibrated once against PIT channel 2.  The APIC timer runs
 * one-shot for the scheduler tick and slice ends.
 */
#include <hv/arch.h>
#include <asm/spinlock.h>
#include <asm/x86.h>

#define APIC_BASE 0xFEE00000UL
#define APIC_ID      0x020
#define APIC_EOI     0x0B0
#define APIC_SVR     0x0F0
#define APIC_ICR_LO  0x300
#define APIC_ICR_HI  0x310
#define APIC_LVT_TMR 0x320
#define APIC_TMR_INIT 0x380
#define APIC_TMR_CUR 0x390
#define APIC_TMR_DIV 0x3E0

uint64_t tsc_hz;
static uint64_t apic_hz;   /* APIC timer counts per second at divide-by-16 */

static inline uint32_t apic_read(unsigned reg)
{
    return *(volatile uint32_t *)(APIC_BASE + reg);
}

static inline void apic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(APIC_BASE + reg) = v;
}


uint32_t apic_id(void)
{
    return apic_read(APIC_ID) >> 24;
}

void apic_init_cpu(void)
{
    wrmsr(MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) & ~0xFFFFF000ULL) | APIC_BASE | (1 << 11));
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
    apic_write(APIC_TMR_DIV, 0x3);                  /* divide by 16 */
    apic_write(APIC_LVT_TMR, VEC_TIMER);            /* one-shot */
}

/*
 * Measures the TSC and APIC timer against 50 ms of PIT channel 2 (gated
 * through port 0x61, counted down from a known value).  Boot-time only.
 */
void tsc_calibrate(void)
{
    const uint16_t pit_count = 59659;               /* 1193182 Hz * 50 ms */
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xB0);                               /* ch2, lo/hi, mode 0 */
    outb(0x42, pit_count & 0xff);
    outb(0x42, pit_count >> 8);
    apic_write(APIC_LVT_TMR, VEC_TIMER | (1 << 16)); /* masked while we measure */
    apic_write(APIC_TMR_INIT, 0xFFFFFFFF);
    uint64_t t0 = rdtsc();
    while (!(inb(0x61) & 0x20))
        cpu_relax();
    uint64_t t1 = rdtsc();
    uint32_t left = apic_read(APIC_TMR_CUR);
    apic_write(APIC_TMR_INIT, 0);
    apic_write(APIC_LVT_TMR, VEC_TIMER);
    tsc_hz = (t1 - t0) * 20;
    apic_hz = (uint64_t)(0xFFFFFFFFu - left) * 20;
    if (!tsc_hz)
        tsc_hz = 1000000000ULL;
    if (!apic_hz)
        apic_hz = 62500000ULL;
}

void apic_timer_oneshot(uint64_t tsc_deadline)
{
    uint64_t now = rdtsc();
    uint64_t delta = tsc_deadline > now ? tsc_deadline - now : 1;
    uint64_t counts = (uint64_t)((__uint128_t)delta * apic_hz / tsc_hz);
    if (counts == 0)
        counts = 1;
    if (counts > 0xFFFFFFFFu)
        counts = 0xFFFFFFFFu;
    apic_write(APIC_TMR_INIT, (uint32_t)counts);
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

static void icr_wait(void)
{
    for (int i = 0; i < 1000000 && (apic_read(APIC_ICR_LO) & (1 << 12)); i++)
        cpu_relax();
}

void apic_send_ipi(uint32_t dest, uint32_t vector)
{
    icr_wait();
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR_LO, vector | (1 << 14));    /* fixed, assert */
}

static void delay_us(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_hz / 1000000 * us;
    while (rdtsc() < end)
        cpu_relax();
}

/* INIT, then two STARTUPs at vector `page` (the trampoline's 4 KiB page number). */
void apic_send_init_sipi(uint32_t dest, uint32_t page)
{
    icr_wait();
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR_LO, 0x4500);                /* INIT, assert */
    delay_us(10000);
    for (int i = 0; i < 2; i++) {
        icr_wait();
        apic_write(APIC_ICR_HI, dest << 24);
        apic_write(APIC_ICR_LO, 0x4600 | page);     /* STARTUP */
        delay_us(200);
    }
}
