/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ovs backend's settler: changes do not wait for ovs-vswitchd (so it
 * can apply many in one reconfiguration); what must happen once a change
 * is applied — bringing up an internal device the switch creates — is
 * queued here, and a thread of its own, on a connection of its own,
 * waits (OVSDB "wait" on Open_vSwitch.cur_cfg) and does it.
 */
#ifndef HALYARD_NET_OVS_SETTLE_H
#define HALYARD_NET_OVS_SETTLE_H

#include <stdint.h>

#include <json-c/json.h>

typedef struct ovs_settler ovs_settler;

/* A connection to db_sock and the thread. 0 or -errno. */
int ovs_settler_new(const char *db_sock, ovs_settler **out);
/* Stops the thread (pending work is dropped); accepts NULL. */
void ovs_settler_free(ovs_settler *s);
/* Brings kernel device dev up once cur_cfg >= cfg. */
void ovs_settler_up(ovs_settler *s, int64_t cfg, const char *dev);

/* Watches ovs-vswitchd's pid file (once a second, on the settler's
 * thread): when it names a new process, restarted(arg) is called (without
 * any lock held) and, while it fails (non-zero), again a second later. */
int ovs_settler_watch(ovs_settler *s, const char *pidfile, int (*restarted)(void *), void *arg);

/* The OVSDB operation that waits (up to timeout_ms) for cur_cfg >= cfg. */
json_object *ovs_wait_cfg_op(int64_t cfg, int timeout_ms);

#endif
