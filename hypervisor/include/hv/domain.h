/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Domains and vCPUs, and the interfaces of the common subsystems that act on
 * them (scheduler, event channels, grant tables, hypercall dispatch).
 */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <hv/config.h>
#include <hv/lib.h>
#include <hv/p2m.h>
#include <asm/spinlock.h>
#include <asm/vcpu.h>
#include <public/xen.h>
#include <public/grant_table.h>

enum evtchn_state { ECS_FREE, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_VIRQ };

struct evtchn {
    uint8_t state;           /* enum evtchn_state */
    uint8_t pad;
    uint16_t notify_vcpu;
    domid_t remote_dom;      /* UNBOUND: who may bind; INTERDOMAIN: peer */
    uint16_t pad2;
    uint32_t remote_port;    /* INTERDOMAIN */
    uint32_t virq;           /* VIRQ */
};

struct maptrack {
    bool in_use;
    domid_t granter;
    grant_ref_t ref;
    uint64_t ipa;
    bool readonly;
};

struct domain;

struct vcpu {
    struct domain *domain;
    unsigned int id;
    /* Scheduler state, protected by the scheduler lock. */
    bool online;             /* started (boot, VCPUOP_up, PSCI CPU_ON) */
    bool initialised;        /* has a context (started once or VCPUOP_initialise) */
    bool blocked;            /* SCHEDOP_block/poll until an event */
    int running_on;          /* pCPU running it, or -1 */
    unsigned int last_cpu;
    uint64_t affinity;       /* hard affinity: bit n = pCPU n */
    int64_t vtime;           /* weighted run time: the credit debt */
    uint64_t cpu_time;       /* counter ticks actually run */
    uint64_t slice_start;
    uint64_t last_sched;
    uint64_t wake_deadline;  /* counter value, 0 = none (poll timeout, timer) */
    uint64_t timer_deadline; /* set_timer_op: counter value for VIRQ_TIMER, 0 = none */
    /* Event state, protected by the domain lock. */
    bool polling;
    uint32_t nr_poll;
    evtchn_port_t poll_ports[HV_MAX_POLL];
    uint32_t virq_to_port[HV_NR_VIRQS];
    struct vcpu_info *vcpu_info;   /* NULL until registered (vCPUs > 0) */
    bool vcpu_info_registered;     /* moved by VCPUOP_register_vcpu_info */
    uint64_t runstate_gva;         /* VCPUOP_register_runstate_memory_area, 0 = none */
    struct arch_vcpu arch;
};

struct domain {
    bool in_use;
    domid_t domid;
    bool is_control;
    bool dying;
    bool shutdown;
    uint32_t shutdown_code;
    uint32_t pause_count;    /* >0: no vCPU runs */
    uint32_t weight, cap;
    uint64_t period_used;    /* counter ticks in the current cap period */
    bool capped;
    unsigned int max_vcpus;
    struct vcpu vcpus[HV_MAX_VCPUS];
    struct p2m p2m;
    uint16_t vmid;
    uint64_t tot_pages, max_pages;
    uint64_t shared_info_pa;
    struct shared_info *shared_info;
    struct evtchn evtchn[HV_NR_EVTCHN];
    uint64_t gnt_frames[HV_GNT_FRAMES];
    unsigned int gnt_nr_frames;
    struct maptrack maptrack[HV_MAPTRACK];
    char con_buf[160];
    unsigned int con_len;
    struct arch_domain arch;
};

extern struct domain domains[HV_MAX_DOMAINS];
/* Protects the domain table, event channels and grant tables. */
extern spinlock_t dom_lock;

/* domain.c */
struct domain *domain_create(int domid, unsigned int max_vcpus, bool is_control);
struct domain *domain_get(domid_t id);          /* live, not dying; NULL otherwise */
int domain_populate(struct domain *d, uint64_t gfn, uint64_t npages);
int domain_set_max_pages(struct domain *d, uint64_t pages);
void domain_shutdown(struct domain *d, uint32_t reason);
void domain_crash(struct domain *d, const char *why);
int domain_destroy(struct domain *d);
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);
int domain_copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t n);
bool all_domains_finished(void);
void domain_console_putc(struct domain *d, char c);

/* sched.c */
void sched_init(unsigned int nr_cpus, uint64_t tick, uint64_t period);
void sched_vcpu_start(struct vcpu *v);          /* mark online and runnable */
void sched_vcpu_stop(struct vcpu *v);
void sched_block(struct vcpu *v);
void sched_wake(struct vcpu *v);
void sched_yield_vcpu(struct vcpu *v);
void sched_kick_domain(struct domain *d);       /* re-evaluate after pause/shutdown */
/* Picks the next vCPU for cpu at time now (NULL = idle); charges the previous one. */
struct vcpu *sched_pick(unsigned int cpu, struct vcpu *prev, uint64_t now, uint64_t *slice_end);
/* Charges the running vCPU; returns true if cpu should reschedule. */
bool sched_tick(unsigned int cpu, struct vcpu *cur, uint64_t now);
bool sched_vcpu_runnable(const struct vcpu *v);
void sched_wait_descheduled(struct domain *d);

/* event_channel.c (callers hold dom_lock unless noted) */
long do_event_channel_op(struct vcpu *v, unsigned int cmd, uint64_t arg);
int evtchn_alloc_unbound(struct domain *d, domid_t remote, evtchn_port_t *port);
int evtchn_bind_interdomain(struct domain *d, domid_t rdom, evtchn_port_t rport, evtchn_port_t *port);
int evtchn_bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu, evtchn_port_t *port);
int evtchn_send(struct domain *d, evtchn_port_t port);
int evtchn_bind_vcpu(struct domain *d, evtchn_port_t port, uint32_t vcpu);
int evtchn_close(struct domain *d, evtchn_port_t port);
void evtchn_set_pending(struct domain *d, evtchn_port_t port);
void evtchn_send_virq(struct vcpu *v, uint32_t virq);    /* takes dom_lock */
void timers_expire(uint64_t now);                        /* takes dom_lock */
bool evtchn_vcpu_has_pending(const struct vcpu *v);
void evtchn_domain_teardown(struct domain *d);
int evtchn_poll(struct vcpu *v, const evtchn_port_t *ports, uint32_t n, uint64_t deadline);

/* grant_table.c */
long do_grant_table_op(struct vcpu *v, unsigned int cmd, uint64_t uop, uint32_t count);
int gnttab_setup(struct domain *d, unsigned int nr_frames);
int gnttab_map(struct domain *d, struct gnttab_map_grant_ref *op);
int gnttab_unmap(struct domain *d, struct gnttab_unmap_grant_ref *op);
int gnttab_copy_one(struct domain *d, struct gnttab_copy *op);
void gnttab_domain_teardown(struct domain *d);

/* hypercall.c / domctl.c / memory.c */
long do_hypercall(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                  uint64_t a3, uint64_t a4);
long do_domctl(struct vcpu *v, uint64_t arg);
long do_memory_op(struct vcpu *v, unsigned int cmd, uint64_t arg);
void runstate_update(struct vcpu *v);   /* v must be loaded on this pCPU */

#endif
