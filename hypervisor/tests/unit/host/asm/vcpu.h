/* SPDX-License-Identifier: Apache-2.0 */
/* Host-side stand-ins for the arch parts of struct vcpu / struct domain. */
#ifndef ASM_VCPU_H
#define ASM_VCPU_H

#include <stdint.h>

struct arch_vcpu {
    unsigned evtchn_irqs;   /* times the event PPI was raised */
};

struct arch_domain {
    int unused;
};

#endif
