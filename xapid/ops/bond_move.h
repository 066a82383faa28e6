/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bond_move.c: the VLANs and tunnels Bond.create moves from the members
 * to the master and Bond.destroy moves back to the primary member.
 */
#ifndef HALYARD_OPS_BOND_MOVE_H
#define HALYARD_OPS_BOND_MOVE_H

#include <stddef.h>

#include "store.h"

/* Inside the write transaction t (net_lock held): the VLANs tagged on PIF
 * from and the tunnels with transport PIF from move to PIF to, records
 * and switch; *vlans (when not NULL) grows by the number of VLANs moved. */
xerr *bond_move(txn *t, const char *from, const char *to, size_t *vlans);

/* After a Bond.create / destroy that did not commit: makes the switch
 * match the records t sees for the bond's master (may be NULL or gone:
 * its port bond_dev leaves the switch), its members, and the VLANs on
 * all of them with their VIF ports. Logs what it cannot do. */
void bond_reapply(txn *t, const char *master, const char *bond_dev, char *const *members,
		  size_t n);

#endif
