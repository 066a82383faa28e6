/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handlers of the network classes (network.c, pif.c, vlan.c,
 * bond.c, tunnel.c, vif.c): prototypes for -Wmissing-prototypes; the
 * generated table finds them through weak references (see ops.h).
 */
#ifndef HALYARD_OPS_NET_OPS_H
#define HALYARD_OPS_NET_OPS_H

#include "dispatch.h"

#define OP(name) xerr *name(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)

OP(op_Bond_create);
OP(op_Bond_destroy);
OP(op_Bond_set_mode);
OP(op_Bond_set_property);
OP(op_PIF_create_VLAN);
OP(op_PIF_forget);
OP(op_PIF_introduce);
OP(op_PIF_plug);
OP(op_PIF_reconfigure_ip);
OP(op_PIF_reconfigure_ipv6);
OP(op_PIF_scan);
OP(op_PIF_unplug);
OP(op_VIF_add_ipv4_allowed);
OP(op_VIF_add_ipv6_allowed);
OP(op_VIF_create);
/* A random locally administered unicast MAC (heap): VIF.create, VM.clone. */
char *vif_new_mac(void);
OP(op_VIF_destroy);
OP(op_VIF_move);
OP(op_VIF_plug);
OP(op_VIF_remove_ipv4_allowed);
OP(op_VIF_remove_ipv6_allowed);
OP(op_VIF_set_ipv4_allowed);
OP(op_VIF_set_ipv6_allowed);
OP(op_VIF_set_locking_mode);
OP(op_VIF_unplug);
OP(op_VIF_unplug_force);
OP(op_VLAN_create);
OP(op_VLAN_destroy);
OP(op_host_management_reconfigure);
OP(op_network_create);
OP(op_network_destroy);
OP(op_network_set_default_locking_mode);
OP(op_tunnel_add_to_other_config);
OP(op_tunnel_create);
OP(op_tunnel_destroy);
OP(op_tunnel_remove_from_other_config);
OP(op_tunnel_set_other_config);

#undef OP

#endif
