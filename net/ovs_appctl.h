/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ovs-vswitchd's control socket (<rundir>/ovs-vswitchd.<pid>.ctl): one
 * JSON-RPC command, as ovs-appctl sends it, without the tool.
 */
#ifndef HALYARD_NET_OVS_APPCTL_H
#define HALYARD_NET_OVS_APPCTL_H

/* Runs `cmd` (no arguments) on the ovs-vswitchd whose pid file is in
 * rundir; waits at most timeout_ms. 0 with *reply (heap, optional: the
 * command's text result) or -errno with *err (heap, optional). */
int ovs_appctl(const char *rundir, const char *cmd, int timeout_ms, char **reply, char **err);

#endif
