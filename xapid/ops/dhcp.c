/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCP on a PIF's bridge (netcore.h net_dhcp_*): busybox's udhcpc runs in
 * the foreground, one per PIF with ip_configuration_mode DHCP that is
 * attached, started and stopped by xapid. Its script (written into the
 * state dir) puts the lease on the bridge with ip(8) — the default route
 * only for the management PIF, as XAPI does — and prints one line on
 * udhcpc's stdout, a pipe that a thread of ours reads:
 *
 *   HXDHCP lease <ip> <netmask> <gateway or -> <dns,dns or ->
 *   HXDHCP deconfig
 *
 * Each value is checked (inet_pton) before it goes into the PIF's IP,
 * netmask, gateway and DNS fields: they come from the network.
 *
 * The address stays on the bridge when udhcpc starts (its first
 * "deconfig", marked by a file) and when xapid stops it: xapid's restart
 * does not take the host's address away; a lost lease does.
 *
 * udhcpc writes a pid file <state>/net/dhcp-<bridge>.pid, so a client
 * left behind by a crashed xapid is stopped before a new one starts.
 *
 * DHCPv6 (ipv6_configuration_mode DHCP): busybox-static has no udhcpc6,
 * so ISC's dhclient -6 (what XAPI's networkd runs) in the foreground, its
 * own script (dhcp6.script) putting the leased address on the bridge and
 * printing
 *
 *   HXDHCP6 lease <address>/<prefix length> <dns,dns or ->
 *   HXDHCP6 deconfig
 *
 * into PIF.IPv6. Pid file dhcp6-<bridge>.pid, lease file
 * dhcp6-<bridge>.leases (dhclient keeps its DUID there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_ids.h"
#include "dhcp_lease.h"
#include "dispatch.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

extern char **environ;

typedef struct client {
	struct client *next;
	struct xapid *app;
	char *pif, *br, *pidfile;
	pid_t pid;
	int fd;
	bool v6;
	bool leased, done, stopping;
	pthread_t th;
} client;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static client *clients;

static const char script_text[] =
	"#!/bin/sh\n"
	"# SPDX-License-Identifier: Apache-2.0\n"
	"# Written by xapid (xapid/ops/dhcp.c): busybox udhcpc's script.\n"
	"case \"$1\" in\n"
	"deconfig)\n"
	"\tip link set dev \"$interface\" up\n"
	"\t# The first deconfig is udhcpc's start: the address stays (a restart\n"
	"\t# of xapid must not cut the host off); later ones mean the lease is lost.\n"
	"\tif [ ! -e \"$HX_DHCP_MARK\" ]; then : > \"$HX_DHCP_MARK\"; exit 0; fi\n"
	"\tip -4 addr flush dev \"$interface\"\n"
	"\techo \"HXDHCP deconfig\" ;;\n"
	"bound|renew)\n"
	"\tip -4 -o addr show dev \"$interface\" | grep -q \" $ip/$mask \" ||\n"
	"\t\tip -4 addr flush dev \"$interface\"\n"
	"\tip addr replace \"$ip/$mask\" dev \"$interface\"\n"
	"\tgw=\"${router%% *}\"\n"
	"\tif [ -n \"$gw\" ] && [ \"$HX_DEFAULT_ROUTE\" = 1 ]; then\n"
	"\t\tip route replace default via \"$gw\" dev \"$interface\"\n"
	"\tfi\n"
	"\td=$(echo $dns | tr ' ' ',')\n"
	"\techo \"HXDHCP lease $ip $subnet ${gw:--} ${d:--}\" ;;\n"
	"esac\n"
	"exit 0\n";

static const char script6_text[] =
	"#!/bin/sh\n"
	"# SPDX-License-Identifier: Apache-2.0\n"
	"# Written by xapid (xapid/ops/dhcp.c): dhclient -6's script.\n"
	"del_old() {\n"
	"\tif [ -n \"$old_ip6_address\" ] && [ \"$old_ip6_address\" != \"$new_ip6_address\" ]; then\n"
	"\t\tip -6 addr del \"$old_ip6_address/${old_ip6_prefixlen:-128}\" dev \"$interface\"\n"
	"\tfi\n"
	"}\n"
	"case \"$reason\" in\n"
	"PREINIT6)\n"
	"\tip link set dev \"$interface\" up\n"
	"\t# dhclient sends from the link-local address: wait (5 s at most)\n"
	"\t# until its duplicate address detection is over.\n"
	"\tn=0\n"
	"\twhile [ $n -lt 50 ] && ip -6 addr show dev \"$interface\" scope link tentative |\n"
	"\t\tgrep -q inet6; do\n"
	"\t\tsleep 0.1\n"
	"\t\tn=$((n + 1))\n"
	"\tdone ;;\n"
	"BOUND6|RENEW6|REBIND6|REBOOT6)\n"
	"\tdel_old\n"
	"\tif [ -n \"$new_ip6_address\" ]; then\n"
	"\t\tip -6 addr replace \"$new_ip6_address/${new_ip6_prefixlen:-128}\" dev \"$interface\"\n"
	"\t\td=$(echo $new_dhcp6_name_servers | tr ' ' ',')\n"
	"\t\techo \"HXDHCP6 lease $new_ip6_address/${new_ip6_prefixlen:-128} ${d:--}\"\n"
	"\tfi ;;\n"
	"EXPIRE6|RELEASE6|STOP6)\n"
	"\tnew_ip6_address=\n"
	"\tdel_old\n"
	"\techo \"HXDHCP6 deconfig\" ;;\n"
	"esac\n"
	"exit 0\n";

static char *net_dir(struct xapid *app)
{
	char *d = hx_asprintf("%s/net", app->cfg.state_dir);
	mkdir(d, 0700);
	return d;
}

/* The script (DHCPv6 client's when v6), (re)written when its text differs. */
static char *script_path(struct xapid *app, bool v6)
{
	char *d = net_dir(app);
	char *p = hx_asprintf("%s/%s", d, v6 ? "dhcp6.script" : "udhcpc.script");
	const char *text = v6 ? script6_text : script_text;
	free(d);
	char *have = ops_read_file(p, 65536, NULL);
	if (!have || strcmp(have, text)) {
		char *tmp = hx_asprintf("%s.tmp", p);
		FILE *f = fopen(tmp, "w");
		if (f) {
			fputs(text, f);
			fclose(f);
			chmod(tmp, 0700);
			rename(tmp, p);
		}
		free(tmp);
	}
	free(have);
	return p;
}

/* Stops a client a previous xapid left (its pid file names it). */
static void stop_stale(const char *pidfile, bool v6)
{
	char *s = ops_read_file(pidfile, 64, NULL);
	pid_t pid = s ? (pid_t)strtol(s, NULL, 10) : 0;
	free(s);
	if (pid > 1) {
		char cl[64];
		snprintf(cl, sizeof(cl), "/proc/%d/cmdline", (int)pid);
		size_t n = 0;
		char *cmd = ops_read_file(cl, 4096, &n);
		/* busybox udhcpc or dhclient -6: only ours is stopped. */
		const char *what = v6 ? "dhclient" : "udhcpc";
		if (cmd && n > 7 && memmem(cmd, n, what, strlen(what)))
			kill(pid, SIGTERM);
		free(cmd);
	}
	unlink(pidfile);
}

/* In one write transaction: when the PIF still exists and its
 * mode_field ("ip_configuration_mode" / "ipv6_configuration_mode") is
 * DHCP, set(t, c, arg) writes the lease; committed, or rolled back on an
 * error (the next lease line tries again). */
static void record_if_dhcp(client *c, const char *mode_field,
			   xerr *(*set)(txn *t, client *c, const void *arg), const void *arg)
{
	txn *t;
	if (store_begin(c->app->db, true, &t))
		return;
	char *mode = store_exists(t, CLS_PIF, c->pif) ? obj_get_str(t, CLS_PIF, c->pif, mode_field) :
							hx_strdup("");
	xerr *e = !strcmp(mode, "DHCP") ? set(t, c, arg) : NULL;
	free(mode);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
}

struct lease4 {
	const char *ip, *mask, *gw, *dns;
};

/* IP, netmask, gateway, DNS; host.address when the PIF is management. */
static xerr *set4(txn *t, client *c, const void *arg)
{
	const struct lease4 *l = arg;
	xerr *e = NULL;
	if (!(e = obj_set(t, CLS_PIF, c->pif, "IP", xv_str(l->ip))) &&
	    !(e = obj_set(t, CLS_PIF, c->pif, "netmask", xv_str(l->mask))) &&
	    !(e = obj_set(t, CLS_PIF, c->pif, "gateway", xv_str(l->gw))))
		e = obj_set(t, CLS_PIF, c->pif, "DNS", xv_str(l->dns));
	xv *mg = e ? NULL : obj_get(t, CLS_PIF, c->pif, "management");
	if (mg && mg->kind == XV_BOOL && mg->u.b && *l->ip)
		e = obj_set(t, CLS_host, c->app->host_ref, "address", xv_str(l->ip));
	xv_free(mg);
	return e;
}

static void record(client *c, const char *ip, const char *mask, const char *gw, const char *dns)
{
	struct lease4 l = { ip, mask, gw, dns };
	record_if_dhcp(c, "ip_configuration_mode", set4, &l);
}

/* PIF.IPv6: [addr], or [] when addr is "". */
static xerr *set6(txn *t, client *c, const void *arg)
{
	const char *addr = arg;
	xv *v = xv_array();
	if (*addr)
		xv_array_push(v, xv_str(addr));
	return obj_set(t, CLS_PIF, c->pif, "IPv6", v);
}

static void record6(client *c, const char *addr)
{
	record_if_dhcp(c, "ipv6_configuration_mode", set6, addr);
}

static void *reader(void *arg)
{
	client *c = arg;
	FILE *f = fdopen(c->fd, "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char *ip, *mask, *gw, *dns;
		pthread_mutex_lock(&mu);
		bool stopping = c->stopping;
		pthread_mutex_unlock(&mu);
		if (stopping)
			continue; /* what a stopped client says is not the PIF's */
		if (c->v6) {
			char *a6, *dns6;
			bool lease = dhcp6_lease_parse(line, &a6, &dns6);
			if (lease)
				record6(c, a6);
			else if (!strncmp(line, "HXDHCP6 deconfig", 16))
				record6(c, "");
			if (lease) {
				pthread_mutex_lock(&mu);
				c->leased = true;
				pthread_cond_broadcast(&cv);
				pthread_mutex_unlock(&mu);
			}
		} else if (dhcp_lease_parse(line, &ip, &mask, &gw, &dns)) {
			record(c, ip, mask, gw, dns);
			pthread_mutex_lock(&mu);
			c->leased = true;
			pthread_cond_broadcast(&cv);
			pthread_mutex_unlock(&mu);
		} else if (!strncmp(line, "HXDHCP deconfig", 15)) {
			record(c, "", "", "", "");
		}
	}
	if (f)
		fclose(f);
	else
		close(c->fd);
	int st;
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&mu);
	c->done = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void free_client(client *c)
{
	free(c->pif);
	free(c->br);
	free(c->pidfile);
	free(c);
}

/* Stops c (taken off the list by the caller). */
static void stop_client(client *c)
{
	pthread_mutex_lock(&mu);
	c->stopping = true;
	pthread_mutex_unlock(&mu);
	kill(c->pid, SIGTERM);
	pthread_join(c->th, NULL);
	unlink(c->pidfile);
	free_client(c);
}

/* Stops pif's client of family v6 (both when both). */
static void stop_family(const char *pif, bool v4, bool v6)
{
	for (;;) {
		pthread_mutex_lock(&mu);
		client *c = NULL;
		for (client **pp = &clients; *pp; pp = &(*pp)->next)
			if (!strcmp((*pp)->pif, pif) && ((*pp)->v6 ? v6 : v4)) {
				c = *pp;
				*pp = c->next;
				break;
			}
		pthread_mutex_unlock(&mu);
		if (!c)
			return;
		stop_client(c);
	}
}

void net_dhcp_stop(const char *pif)
{
	stop_family(pif, true, true);
}

void net_dhcp4_stop(const char *pif)
{
	stop_family(pif, true, false);
}

void net_dhcp6_stop(const char *pif)
{
	stop_family(pif, false, true);
}

/* Runs the client of family v6 for pif on br (see net_dhcp_start). */
static int start_client(struct xapid *app, const char *pif, const char *br, bool default_route,
			bool v6)
{
	stop_family(pif, !v6, v6);
	char *d = net_dir(app);
	client *c = hx_calloc(1, sizeof(*c));
	c->app = app;
	c->v6 = v6;
	c->pif = hx_strdup(pif);
	c->br = hx_strdup(br);
	c->pidfile = hx_asprintf("%s/dhcp%s-%s.pid", d, v6 ? "6" : "", br);
	char *leases = hx_asprintf("%s/dhcp6-%s.leases", d, br);
	free(d);
	stop_stale(c->pidfile, v6);
	char *script = script_path(app, v6);
	int p[2];
	if (pipe2(p, O_CLOEXEC)) {
		int r = -errno;
		free(script);
		free_client(c);
		return r;
	}
	/* udhcpc's environment: ours plus whether it sets the default route. */
	size_t ne = 0;
	while (environ[ne])
		ne++;
	char **env = hx_calloc(ne + 3, sizeof(char *));
	for (size_t i = 0; i < ne; i++)
		env[i] = environ[i];
	env[ne] = default_route ? "HX_DEFAULT_ROUTE=1" : "HX_DEFAULT_ROUTE=0";
	char *mark = hx_asprintf("%.*s.started", (int)(strlen(c->pidfile) - 4), c->pidfile);
	unlink(mark);
	char *markenv = hx_asprintf("HX_DHCP_MARK=%s", mark);
	env[ne + 1] = markenv;
	const char *argv4[] = { "busybox", "udhcpc", "-f", "-i", br, "-s", script, "-p", c->pidfile,
				"-t", "4", "-T", "2", "-A", "5", NULL };
	const char *argv6[] = { "dhclient", "-6", "-d", "-sf", script, "-pf", c->pidfile,
				"-lf", leases, br, NULL };
	const char *const *argv = v6 ? argv6 : argv4;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int r = posix_spawnp(&c->pid, argv[0], &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(leases);
	free(env);
	free(markenv);
	free(mark);
	free(script);
	close(p[1]);
	if (r) {
		close(p[0]);
		free_client(c);
		fprintf(stderr, "xapid: network: cannot run %s: %s\n",
			v6 ? "dhclient -6" : "busybox udhcpc", strerror(r));
		return -r;
	}
	c->fd = p[0];
	if ((r = pthread_create(&c->th, NULL, reader, c))) {
		kill(c->pid, SIGTERM);
		close(c->fd);
		waitpid(c->pid, NULL, 0);
		free_client(c);
		return -r;
	}
	pthread_mutex_lock(&mu);
	c->next = clients;
	clients = c;
	pthread_mutex_unlock(&mu);
	printf("xapid: network: DHCP%s client on %s (pid %d)\n", v6 ? "v6" : "", br, (int)c->pid);
	return 0;
}

int net_dhcp_start(struct xapid *app, const char *pif, const char *br, bool default_route)
{
	return start_client(app, pif, br, default_route, false);
}

int net_dhcp6_start(struct xapid *app, const char *pif, const char *br)
{
	return start_client(app, pif, br, false, true);
}

bool net_dhcp_wait(const char *pif, bool v6, int seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&mu);
	bool got = false;
	for (;;) {
		client *c = clients;
		while (c && (strcmp(c->pif, pif) || c->v6 != v6))
			c = c->next;
		if (!c || c->leased || c->done) {
			got = c && c->leased;
			break;
		}
		if (pthread_cond_timedwait(&cv, &mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&mu);
	return got;
}

static void dhcp_pif(struct xapid *app, txn *t, const char *pif, const xv *r, void *arg)
{
	(void)arg;
	if (strcmp(net_rec_str(r, "ip_configuration_mode"), "DHCP") ||
	    !net_rec_bool(r, "currently_attached"))
		return;
	char *br = obj_get_str(t, CLS_network, net_rec_str(r, "network"), "bridge");
	if (*br)
		(void)net_dhcp_start(app, pif, br, net_rec_bool(r, "management"));
	free(br);
}

void net_dhcp_reconcile(struct xapid *app)
{
	net_each_pif(app, dhcp_pif, NULL);
}

void net_dhcp_shutdown(void)
{
	pthread_mutex_lock(&mu);
	client *c = clients;
	clients = NULL;
	pthread_mutex_unlock(&mu);
	while (c) {
		client *next = c->next;
		stop_client(c);
		c = next;
	}
}
