/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 boot: console, descriptor tables, exception reporting, the memory
 * map and boot modules from the multiboot loader, the page pool, time, and
 * the boot-time PVH domains; plus the small arch services common code uses.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>
#include <asm/x86.h>
#include <x86/acpi.h>
#include <x86/boot_info.h>

uint8_t hv_stacks[HV_MAX_PCPUS][STACK_SIZE] __attribute__((aligned(STACK_SIZE)));
struct pcpu pcpus[HV_MAX_PCPUS];
unsigned int nr_pcpus_online;
struct page_pool hv_pool;
static uint64_t pool_bitmap[MM_MAX_PAGES / 64];
static spinlock_t pool_lock;
static struct boot_info boot_info;
static uint64_t idt[256 * 2] __attribute__((aligned(16)));
extern char _image_start[], _image_end[];

void domains_build(const struct boot_info *bi);   /* pvh_build.c */

/* ---- arch services ---- */

uint64_t arch_now(void)
{
    return rdtsc();
}

uint64_t arch_ticks_to_ns(uint64_t t)
{
    return (uint64_t)((__uint128_t)t * 1000000000ULL / tsc_hz);
}

uint64_t arch_ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((__uint128_t)ns * tsc_hz / 1000000000ULL);
}

unsigned int arch_cpu_id(void)
{
    return this_pcpu()->id;
}

unsigned int arch_nr_cpus(void)
{
    return nr_pcpus_online;
}

struct vcpu *arch_current(void)
{
    return this_pcpu()->cur;
}

void arch_kick_cpu(unsigned int cpu)
{
    if (cpu == arch_cpu_id())
        this_pcpu()->need_resched = true;
    else if (cpu < nr_pcpus_online)
        apic_send_ipi(pcpus[cpu].apic_id, VEC_KICK);
}

void *pa_to_va(uint64_t pa)
{
    return (void *)(uintptr_t)pa;   /* the low 4 GiB are identity-mapped */
}

uint64_t alloc_zeroed_page(void)
{
    spin_lock(&pool_lock);
    uint64_t pa = mm_alloc_page(&hv_pool);
    spin_unlock(&pool_lock);
    if (pa)
        memset(pa_to_va(pa), 0, PAGE_SIZE);
    return pa;
}

void free_page(uint64_t pa)
{
    spin_lock(&pool_lock);
    mm_free_page(&hv_pool, pa);
    spin_unlock(&pool_lock);
}

const struct p2m_ops hv_p2m_ops = {
    .alloc_table = alloc_zeroed_page,
    .free_table = free_page,
    .pa_to_va = pa_to_va,
};

/* QEMU's isa-debug-exit (default iobase 0x501): the exit status is (value << 1) | 1. */
void arch_system_off(void)
{
    outb(0x501, 0);
    __asm__ volatile("cli");
    for (;;)
        __asm__ volatile("hlt");
}

/* ---- descriptors and exceptions ---- */

static void set_gate(unsigned vec, uint64_t handler, unsigned ist)
{
    idt[vec * 2] = (handler & 0xFFFF) | ((uint64_t)GDT_CS64 << 16) | ((uint64_t)ist << 32) |
                   (0x8EULL << 40) | ((handler >> 16) & 0xFFFF) << 48;
    idt[vec * 2 + 1] = handler >> 32;
}

/* IST stacks for #NMI/#DF/#MC: STACK_SIZE-aligned with the pcpu slot on top, like the main ones. */
static uint8_t ist_stacks[HV_MAX_PCPUS][STACK_SIZE] __attribute__((aligned(STACK_SIZE)));

/* GDT: null, 64-bit code, data, 16-byte TSS; IDT shared; IST1 for #DF/#NMI/#MC. */
void cpu_load_descriptors(struct pcpu *p)
{
    *(struct pcpu **)(ist_stacks[p->id] + STACK_SIZE - 16) = p;
    p->tss.ist[0] = (uint64_t)(uintptr_t)(ist_stacks[p->id] + STACK_SIZE - 16);
    p->tss.iomap_base = sizeof(p->tss);
    uint64_t base = (uint64_t)(uintptr_t)&p->tss, limit = sizeof(p->tss) - 1;
    p->gdt[0] = 0;
    p->gdt[1] = 0x00AF9A000000FFFFULL;
    p->gdt[2] = 0x00CF92000000FFFFULL;
    p->gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
                ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    p->gdt[4] = base >> 32;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = { sizeof(p->gdt) - 1, (uint64_t)(uintptr_t)p->gdt },
                              idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lgdt %0\n lidt %1\n ltr %w2" ::"m"(gdtr), "m"(idtr), "r"(GDT_TSS) : "memory");
}

static void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, idt_stubs[v], (v == 2 || v == 8 || v == 18) ? 1 : 0);
}

void x86_trap(struct trap_frame *f)
{
    struct pcpu *p = this_pcpu();
    if (f->vector == VEC_TIMER) {
        apic_eoi();
        hv_timer_interrupt(p);
        return;
    }
    if (f->vector == VEC_KICK) {
        apic_eoi();
        p->need_resched = true;
        return;
    }
    if (f->vector == VEC_SPURIOUS)
        return;
    if (f->vector >= 32) {
        apic_eoi();
        return;
    }
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    printk("(HV) hypervisor fault: vector %lu error %lx on CPU%u\n"
           "  rip %lx rsp %lx rflags %lx cr2 %lx\n"
           "  rax %lx rbx %lx rcx %lx rdx %lx rsi %lx rdi %lx\n",
           f->vector, f->error, p->id, f->rip, f->rsp, f->rflags, cr2, f->rax, f->rbx, f->rcx,
           f->rdx, f->rsi, f->rdi);
    panic("unhandled exception %lu\n", f->vector);
}

/* ---- memory ---- */

/* Loader memory is identity-mapped; refuse only the null page and >4 GiB. */
static const void *map_loader(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (pa < 0x1000 || pa + len < pa || pa + len > (1ULL << 32))
        return NULL;
    return (const void *)(uintptr_t)pa;
}

static void setup_pool(const struct boot_info *bi)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < bi->nr_ram; i++)
        top = MAX(top, bi->ram[i].end);
    top = MIN(top, (uint64_t)MM_MAX_PAGES * PAGE_SIZE);
    top = MIN(top, 1ULL << 32);   /* only the low 4 GiB are mapped */
    if (mm_pool_init(&hv_pool, pool_bitmap, ARRAY_SIZE(pool_bitmap), 0, ALIGN_DOWN(top, PAGE_SIZE)))
        panic("bad RAM layout\n");
    for (unsigned i = 0; i < bi->nr_ram; i++)
        mm_add_free(&hv_pool, ALIGN_UP(bi->ram[i].start, PAGE_SIZE),
                    ALIGN_DOWN(MIN(bi->ram[i].end, top), PAGE_SIZE));
    /* Low memory holds the BIOS data, the loader's tables and our SMP trampoline. */
    mm_reserve(&hv_pool, 0, 0x100000);
    mm_reserve(&hv_pool, (uint64_t)(uintptr_t)_image_start, (uint64_t)(uintptr_t)_image_end);
    for (unsigned i = 0; i < bi->nr_mods; i++)
        mm_reserve(&hv_pool, bi->mods[i].start, bi->mods[i].end);
}

/* ---- SMP ---- */

uint64_t ap_stack_top;
static volatile unsigned cpus_up;
static volatile bool domains_ready;

void secondary_start(void)
{
    struct pcpu *p = this_pcpu();
    cpu_load_descriptors(p);
    apic_init_cpu();
    svm_cpu_init(p);
    __atomic_fetch_add(&cpus_up, 1, __ATOMIC_SEQ_CST);
    printk("CPU%u up (APIC ID %u)\n", p->id, p->apic_id);
    while (!__atomic_load_n(&domains_ready, __ATOMIC_ACQUIRE))
        cpu_relax();
    start_scheduling();
}

/*
 * Starts every other enabled CPU of the MADT with INIT-SIPI-SIPI through
 * the trampoline; returns how many CPUs are online.  Without ACPI (or a
 * CPU that does not answer) the rest of the system runs on what came up.
 */
static unsigned smp_boot(struct pcpu *bsp, const struct boot_info *bi)
{
    struct madt_info mi;
    /*
     * A multiboot2 loader's RSDP copy first (UEFI firmware keeps the RSDP
     * out of the BIOS areas); it lives in boot_info, inside the identity-
     * mapped image, so its address is its physical address.
     */
    uint64_t rsdp = bi->rsdp_len ? (uint64_t)(uintptr_t)bi->rsdp : acpi_find_rsdp(map_loader, NULL);
    int rc = rsdp ? acpi_parse_madt(rsdp, map_loader, NULL, &mi) : -ENOENT;
    if (rc) {
        printk("no usable ACPI MADT (%d): one CPU\n", rc);
        return 1;
    }
    printk("MADT: %u CPUs, local APIC at %x (RSDP %s)\n", mi.nr_cpus, mi.lapic_base,
           bi->rsdp_len ? "from the multiboot2 tag" : "found in the BIOS areas");
    /* A loader may have put a module in low memory (GRUB on UEFI does). */
    for (unsigned i = 0; i < bi->nr_mods; i++) {
        if (bi->mods[i].start < TRAMPOLINE_PA + PAGE_SIZE && bi->mods[i].end > TRAMPOLINE_PA) {
            printk("module %u covers the SMP trampoline page %x: one CPU\n", i, TRAMPOLINE_PA);
            return 1;
        }
    }
    memcpy(pa_to_va(TRAMPOLINE_PA), trampoline_start, (size_t)(trampoline_end - trampoline_start));
    unsigned n = 1;
    for (unsigned i = 0; i < mi.nr_cpus && n < HV_MAX_PCPUS; i++) {
        if (mi.apic_id[i] == bsp->apic_id)
            continue;
        struct pcpu *p = &pcpus[n];
        p->id = n;
        p->apic_id = mi.apic_id[i];
        *(struct pcpu **)(hv_stacks[n] + STACK_SIZE - 16) = p;
        ap_stack_top = (uint64_t)(uintptr_t)(hv_stacks[n] + STACK_SIZE - 16);
        unsigned before = cpus_up;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        apic_send_init_sipi(p->apic_id, TRAMPOLINE_PA >> 12);
        /* Bounded wait so a dead CPU cannot hang the boot (TSC-timed, ~1 s). */
        uint64_t end = rdtsc() + tsc_hz;
        while (cpus_up == before && rdtsc() < end)
            cpu_relax();
        if (cpus_up == before) {
            printk("CPU with APIC ID %u did not start\n", p->apic_id);
            break;
        }
        n++;
    }
    return n;
}

void start_hv(uint32_t magic, uint32_t info)
{
    struct pcpu *p = &pcpus[0];
    *(struct pcpu **)(hv_stacks[0] + STACK_SIZE - 16) = p;
    uart_init();
    printk("Halyard hypervisor (x86-64) starting, loader magic %x\n", magic);
    /* The BIOS left the 8259s delivering the PIT on vector 8: mask them all. */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    idt_init();
    cpu_load_descriptors(p);
    if (boot_info_parse(magic, info, map_loader, NULL, &boot_info))
        panic("no usable multiboot information (magic %x)\n", magic);
    const struct boot_info *bi = &boot_info;
    for (unsigned i = 0; i < bi->nr_ram; i++)
        printk("RAM %lx-%lx\n", bi->ram[i].start, bi->ram[i].end);
    for (unsigned i = 0; i < bi->nr_mods; i++)
        printk("module %u: %lx-%lx '%s'\n", i, bi->mods[i].start, bi->mods[i].end, bi->mods[i].cmdline);
    setup_pool(bi);
    printk("page pool: %lu free pages\n", hv_pool.nfree);

    apic_init_cpu();
    tsc_calibrate();
    p->id = 0;
    p->apic_id = apic_id();
    printk("TSC %lu kHz\n", tsc_hz / 1000);
    svm_cpu_init(p);

    unsigned online = smp_boot(p, bi);
    sched_init(online, arch_ns_to_ticks(HV_TICK_US * 1000ULL), arch_ns_to_ticks(HV_PERIOD_US * 1000ULL));
    nr_pcpus_online = online;
    domains_build(bi);
    __atomic_store_n(&domains_ready, true, __ATOMIC_RELEASE);
    printk("%u CPUs online; starting domains\n", online);
    start_scheduling();
}
