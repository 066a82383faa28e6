/* SPDX-License-Identifier: Apache-2.0 */
/* The ovs backend's record of its per-port OpenFlow state (ovs_memo.h). */
#include "ovs_memo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void freev(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **dupv(const char *const *v, bool *fail)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **d = calloc(n + 1, sizeof(char *));
	if (!d) {
		*fail = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(d[i] = strdup(v[i]))) {
			*fail = true;
			freev(d);
			return NULL;
		}
	return d;
}

void ovs_memo_port_clear(ovs_memo_port *p)
{
	free(p->name);
	free(p->mac);
	freev(p->ipv4);
	freev(p->ipv6);
	memset(p, 0, sizeof(*p));
}

static void clear_lock(ovs_memo_port *p)
{
	free(p->mac);
	freev(p->ipv4);
	freev(p->ipv6);
	p->mac = NULL;
	p->ipv4 = p->ipv6 = NULL;
	p->has_lock = false;
	p->mode = NETB_LOCK_UNLOCKED;
}

static ovs_memo_port *find(const ovs_memo *m, const char *port)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, port))
			return &m->v[i];
	return NULL;
}

static ovs_memo_port *find_or_add(ovs_memo *m, const char *port)
{
	ovs_memo_port *p = find(m, port);
	if (p)
		return p;
	char *nm = strdup(port);
	ovs_memo_port *nv = nm ? realloc(m->v, (m->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(nm);
		return NULL;
	}
	m->v = nv;
	p = &m->v[m->n++];
	memset(p, 0, sizeof(*p));
	p->name = nm;
	return p;
}

/* Drops p's entry when it records nothing any more. */
static void prune(ovs_memo *m, ovs_memo_port *p)
{
	if (p->has_lock || p->rate_kbps > 0)
		return;
	ovs_memo_port_clear(p);
	size_t i = (size_t)(p - m->v);
	m->v[i] = m->v[--m->n];
}

int ovs_memo_set_lock(ovs_memo *m, const char *port, netb_lock mode, const char *mac,
		      const char *const *ipv4, const char *const *ipv6)
{
	if (mode == NETB_LOCK_UNLOCKED) {
		ovs_memo_port *p = find(m, port);
		if (p) {
			clear_lock(p);
			prune(m, p);
		}
		return 0;
	}
	ovs_memo_port *p = find_or_add(m, port);
	if (!p)
		return -ENOMEM;
	clear_lock(p);
	bool fail = false;
	p->mac = mac ? strdup(mac) : NULL;
	p->ipv4 = dupv(ipv4, &fail);
	p->ipv6 = dupv(ipv6, &fail);
	if (fail || (mac && !p->mac)) {
		clear_lock(p);
		prune(m, p);
		return -ENOMEM;
	}
	p->has_lock = true;
	p->mode = mode;
	return 0;
}

int ovs_memo_set_rate(ovs_memo *m, const char *port, int64_t rate_kbps, int64_t burst_kb)
{
	ovs_memo_port *p = rate_kbps > 0 ? find_or_add(m, port) : find(m, port);
	if (!p)
		return rate_kbps > 0 ? -ENOMEM : 0;
	p->rate_kbps = rate_kbps > 0 ? rate_kbps : 0;
	p->burst_kb = rate_kbps > 0 ? burst_kb : 0;
	prune(m, p);
	return 0;
}

void ovs_memo_forget(ovs_memo *m, const char *port)
{
	ovs_memo_port *p = find(m, port);
	if (p) {
		clear_lock(p);
		p->rate_kbps = 0;
		prune(m, p);
	}
}

bool ovs_memo_get(const ovs_memo *m, const char *port, ovs_memo_port *out)
{
	memset(out, 0, sizeof(*out));
	const ovs_memo_port *p = find(m, port);
	if (!p)
		return false;
	bool fail = false;
	*out = *p;
	out->name = strdup(p->name);
	out->mac = p->mac ? strdup(p->mac) : NULL;
	out->ipv4 = p->ipv4 ? dupv((const char *const *)p->ipv4, &fail) : NULL;
	out->ipv6 = p->ipv6 ? dupv((const char *const *)p->ipv6, &fail) : NULL;
	if (fail || !out->name || (p->mac && !out->mac)) {
		ovs_memo_port_clear(out);
		return false;
	}
	return true;
}

char **ovs_memo_names(const ovs_memo *m)
{
	char **v = calloc(m->n + 1, sizeof(char *));
	for (size_t i = 0; v && i < m->n; i++)
		if (!(v[i] = strdup(m->v[i].name))) {
			freev(v);
			return NULL;
		}
	return v;
}

void ovs_memo_free(ovs_memo *m)
{
	for (size_t i = 0; i < m->n; i++)
		ovs_memo_port_clear(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
