/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenFlow 1.3 encoder, reply parser and management-socket client (see
 * ofp.h). Wire layouts are those of the OpenFlow 1.3 specification; all
 * integers are big-endian. OXM match fields are emitted in one fixed
 * order, prerequisites first (Ethernet, L3, L4, ARP); net/tests/ofp_check.c
 * holds the known-good bytes, which ovs-ofctl ofp-print decodes to the
 * flows the backend means.
 */
#include "ofp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_TIMEOUT_MS 30000
#define MSG_MAX 65535u

/* OXM (class OPENFLOW_BASIC) field numbers. */
enum {
	OXM_IN_PORT = 0,
	OXM_ETH_SRC = 4,
	OXM_ETH_TYPE = 5,
	OXM_IP_PROTO = 10,
	OXM_IPV4_SRC = 11,
	OXM_UDP_SRC = 15,
	OXM_UDP_DST = 16,
	OXM_ARP_SPA = 22,
	OXM_ARP_SHA = 24,
	OXM_IPV6_SRC = 26,
	OXM_ICMPV6_TYPE = 29,
	OXM_IPV6_ND_TARGET = 31,
};

enum { OFPIT_GOTO_TABLE = 1, OFPIT_APPLY_ACTIONS = 4, OFPIT_METER = 6 };
enum { OFPMF_KBPS = 1, OFPMF_BURST = 4 };
enum { OFPHET_VERSIONBITMAP = 1 };

/* ---- buffer ---- */

void ofp_buf_free(ofp_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static uint8_t *grow(ofp_buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			abort(); /* allocation failure aborts, as hx_oom does */
		b->p = p;
		b->cap = cap;
	}
	uint8_t *at = b->p + b->len;
	memset(at, 0, n);
	b->len += n;
	return at;
}

static void put8(ofp_buf *b, uint8_t v)
{
	*grow(b, 1) = v;
}

static void put16(ofp_buf *b, uint16_t v)
{
	uint8_t *p = grow(b, 2);
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(ofp_buf *b, uint32_t v)
{
	uint8_t *p = grow(b, 4);
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put64(ofp_buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void putn(ofp_buf *b, const void *d, size_t n)
{
	if (n)
		memcpy(grow(b, n), d, n);
}

static void set16(ofp_buf *b, size_t at, uint16_t v)
{
	b->p[at] = (uint8_t)(v >> 8);
	b->p[at + 1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Starts a message; its length is set by end_msg. Returns its offset. */
static size_t begin_msg(ofp_buf *b, uint8_t type, uint32_t xid)
{
	size_t at = b->len;
	put8(b, OFP_VERSION);
	put8(b, type);
	put16(b, 0);
	put32(b, xid);
	return at;
}

static int end_msg(ofp_buf *b, size_t at)
{
	size_t n = b->len - at;
	if (n > MSG_MAX) {
		b->len = at;
		return -EINVAL;
	}
	set16(b, at + 2, (uint16_t)n);
	return 0;
}

static void pad8(ofp_buf *b, size_t from)
{
	size_t n = (b->len - from) % 8;
	if (n)
		grow(b, 8 - n);
}

/* ---- simple messages ---- */

int ofp_enc_hello(ofp_buf *b, uint32_t xid)
{
	size_t at = begin_msg(b, OFPT_HELLO, xid);
	/* One version-bitmap element: OpenFlow 1.3 only. */
	put16(b, OFPHET_VERSIONBITMAP);
	put16(b, 8);
	put32(b, 1u << OFP_VERSION);
	return end_msg(b, at);
}

int ofp_enc_echo_reply(ofp_buf *b, uint32_t xid, const uint8_t *data, size_t len)
{
	if (len > MSG_MAX - 8)
		return -EINVAL;
	size_t at = begin_msg(b, OFPT_ECHO_REPLY, xid);
	putn(b, data, len);
	return end_msg(b, at);
}

int ofp_enc_barrier(ofp_buf *b, uint32_t xid)
{
	return end_msg(b, begin_msg(b, OFPT_BARRIER_REQUEST, xid));
}

/* ---- matches ---- */

static void oxm_hdr(ofp_buf *b, uint8_t field, bool masked, uint8_t len)
{
	put16(b, 0x8000);
	put8(b, (uint8_t)(field << 1 | (masked ? 1 : 0)));
	put8(b, masked ? (uint8_t)(2 * len) : len);
}

/* An address field of n bytes with prefix plen (plen == 8n: exact). */
static void oxm_addr(ofp_buf *b, uint8_t field, const uint8_t *a, size_t n, unsigned plen)
{
	if (plen == 0)
		return;
	bool masked = plen < 8 * n;
	uint8_t mask[16] = { 0 }, v[16];
	for (size_t i = 0; i < n; i++) {
		unsigned bits = plen > 8 * i ? plen - 8 * (unsigned)i : 0;
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		v[i] = a[i] & mask[i];
	}
	oxm_hdr(b, field, masked, (uint8_t)n);
	putn(b, v, n);
	if (masked)
		putn(b, mask, n);
}

static void oxm_bytes(ofp_buf *b, uint8_t field, const void *v, uint8_t n)
{
	oxm_hdr(b, field, false, n);
	putn(b, v, n);
}

/* Appends the ofp_match (type OXM) for m, padded to 8 bytes. */
static int enc_match(ofp_buf *b, const ofp_match *m)
{
	uint32_t f = m->fields;
	/* Prerequisites that OVS checks: refuse what it would refuse. */
	if ((f & (OFPM_IPV4_SRC | OFPM_IP_PROTO)) && !(f & OFPM_ETH_TYPE))
		return -EINVAL;
	if ((f & (OFPM_UDP_SRC | OFPM_UDP_DST)) && !((f & OFPM_IP_PROTO) && m->ip_proto == 17))
		return -EINVAL;
	if ((f & (OFPM_ARP_SPA | OFPM_ARP_SHA)) && !((f & OFPM_ETH_TYPE) && m->eth_type == 0x0806))
		return -EINVAL;
	if ((f & OFPM_IPV6_SRC) && !((f & OFPM_ETH_TYPE) && m->eth_type == 0x86dd))
		return -EINVAL;
	if ((f & OFPM_ICMPV6_TYPE) && !((f & OFPM_IP_PROTO) && m->ip_proto == 58))
		return -EINVAL;
	if ((f & OFPM_ND_TARGET) && !((f & OFPM_ICMPV6_TYPE) &&
				      (m->icmpv6_type == 135 || m->icmpv6_type == 136)))
		return -EINVAL;
	if (m->ipv4_plen > 32 || m->arp_plen > 32 || m->ipv6_plen > 128)
		return -EINVAL;
	size_t at = b->len;
	put16(b, 1); /* OFPMT_OXM */
	put16(b, 0);
	if (f & OFPM_IN_PORT) {
		uint8_t v[4] = { (uint8_t)(m->in_port >> 24), (uint8_t)(m->in_port >> 16),
				 (uint8_t)(m->in_port >> 8), (uint8_t)m->in_port };
		oxm_bytes(b, OXM_IN_PORT, v, 4);
	}
	if (f & OFPM_ETH_SRC)
		oxm_bytes(b, OXM_ETH_SRC, m->eth_src, 6);
	if (f & OFPM_ETH_TYPE) {
		uint8_t v[2] = { (uint8_t)(m->eth_type >> 8), (uint8_t)m->eth_type };
		oxm_bytes(b, OXM_ETH_TYPE, v, 2);
	}
	if (f & OFPM_IPV4_SRC)
		oxm_addr(b, OXM_IPV4_SRC, m->ipv4_src, 4, m->ipv4_plen);
	if (f & OFPM_IPV6_SRC)
		oxm_addr(b, OXM_IPV6_SRC, m->ipv6_src, 16, m->ipv6_plen);
	if (f & OFPM_IP_PROTO)
		oxm_bytes(b, OXM_IP_PROTO, &m->ip_proto, 1);
	if (f & OFPM_UDP_SRC) {
		uint8_t v[2] = { (uint8_t)(m->udp_src >> 8), (uint8_t)m->udp_src };
		oxm_bytes(b, OXM_UDP_SRC, v, 2);
	}
	if (f & OFPM_UDP_DST) {
		uint8_t v[2] = { (uint8_t)(m->udp_dst >> 8), (uint8_t)m->udp_dst };
		oxm_bytes(b, OXM_UDP_DST, v, 2);
	}
	if (f & OFPM_ICMPV6_TYPE)
		oxm_bytes(b, OXM_ICMPV6_TYPE, &m->icmpv6_type, 1);
	if (f & OFPM_ND_TARGET)
		oxm_bytes(b, OXM_IPV6_ND_TARGET, m->nd_target, 16);
	if (f & OFPM_ARP_SPA)
		oxm_addr(b, OXM_ARP_SPA, m->arp_spa, 4, m->arp_plen);
	if (f & OFPM_ARP_SHA)
		oxm_bytes(b, OXM_ARP_SHA, m->arp_sha, 6);
	set16(b, at + 2, (uint16_t)(b->len - at)); /* length excludes the padding */
	pad8(b, at);
	return 0;
}

/* "addr[/plen]" of family af into out (len bytes) and *plen. */
static int parse_prefix(int af, const char *s, uint8_t *out, uint8_t *plen)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	unsigned max = af == AF_INET ? 32 : 128;
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, s);
	unsigned p = max;
	char *slash = strchr(tmp, '/');
	if (slash) {
		*slash = 0;
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || v < 0 || v > (long)max)
			return -EINVAL;
		p = (unsigned)v;
	}
	if (inet_pton(af, tmp, out) != 1)
		return -EINVAL;
	*plen = (uint8_t)p;
	return 0;
}

static int parse_mac(const char *s, uint8_t *out)
{
	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		if (i < 5 && p[2] != ':')
			return -EINVAL;
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = p[k];
			unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
				     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
				     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) :
							    16;
			if (d > 15)
				return -EINVAL;
			v = v << 4 | d;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

int ofp_match_ipv4_src(ofp_match *m, const char *addr)
{
	int r = parse_prefix(AF_INET, addr, m->ipv4_src, &m->ipv4_plen);
	if (!r)
		m->fields |= OFPM_IPV4_SRC;
	return r;
}

int ofp_match_arp_spa(ofp_match *m, const char *addr)
{
	int r = parse_prefix(AF_INET, addr, m->arp_spa, &m->arp_plen);
	if (!r)
		m->fields |= OFPM_ARP_SPA;
	return r;
}

int ofp_match_ipv6_src(ofp_match *m, const char *addr)
{
	int r = parse_prefix(AF_INET6, addr, m->ipv6_src, &m->ipv6_plen);
	if (!r)
		m->fields |= OFPM_IPV6_SRC;
	return r;
}

int ofp_match_eth_src(ofp_match *m, const char *mac)
{
	int r = parse_mac(mac, m->eth_src);
	if (!r)
		m->fields |= OFPM_ETH_SRC;
	return r;
}

int ofp_match_arp_sha(ofp_match *m, const char *mac)
{
	int r = parse_mac(mac, m->arp_sha);
	if (!r)
		m->fields |= OFPM_ARP_SHA;
	return r;
}

/* ---- FLOW_MOD, METER_MOD ---- */

int ofp_enc_flow_mod(ofp_buf *b, uint32_t xid, const ofp_flow *f)
{
	if (f->command != OFPFC_ADD && f->command != OFPFC_DELETE &&
	    f->command != OFPFC_DELETE_STRICT)
		return -EINVAL;
	if (f->goto_table >= 0 && (f->goto_table > 254 || f->goto_table <= f->table))
		return -EINVAL; /* OpenFlow only jumps forward */
	if (f->command == OFPFC_ADD && f->table == OFPTT_ALL)
		return -EINVAL;
	bool del = f->command != OFPFC_ADD;
	size_t at = begin_msg(b, OFPT_FLOW_MOD, xid);
	put64(b, f->cookie);
	put64(b, del ? f->cookie_mask : 0);
	put8(b, f->table);
	put8(b, f->command);
	put16(b, 0); /* idle timeout */
	put16(b, 0); /* hard timeout */
	put16(b, f->priority);
	put32(b, 0xffffffffu); /* OFP_NO_BUFFER */
	put32(b, OFPP_ANY);    /* out_port */
	put32(b, 0xffffffffu); /* out_group: OFPG_ANY */
	put16(b, 0);	       /* flags */
	put16(b, 0);
	int r = enc_match(b, &f->match);
	if (r) {
		b->len = at;
		return r;
	}
	if (!del) {
		if (f->meter) {
			put16(b, OFPIT_METER);
			put16(b, 8);
			put32(b, f->meter);
		}
		if (f->normal) {
			put16(b, OFPIT_APPLY_ACTIONS);
			put16(b, 8 + 16);
			put32(b, 0);
			put16(b, 0); /* OFPAT_OUTPUT */
			put16(b, 16);
			put32(b, OFPP_NORMAL);
			put16(b, 0); /* max_len */
			grow(b, 6);
		}
		if (f->goto_table >= 0) {
			put16(b, OFPIT_GOTO_TABLE);
			put16(b, 8);
			put8(b, (uint8_t)f->goto_table);
			grow(b, 3);
		}
	}
	return end_msg(b, at);
}

int ofp_enc_meter_mod(ofp_buf *b, uint32_t xid, uint16_t cmd, uint32_t meter_id,
		      uint32_t rate_kbps, uint32_t burst_kb)
{
	if (cmd > OFPMC_DELETE || !meter_id || (cmd != OFPMC_DELETE && !rate_kbps))
		return -EINVAL;
	if (cmd != OFPMC_DELETE && meter_id > 0xffff0000u)
		return -EINVAL; /* the special meters (slowpath, controller, all) */
	size_t at = begin_msg(b, OFPT_METER_MOD, xid);
	put16(b, cmd);
	put16(b, cmd == OFPMC_DELETE ? 0 : OFPMF_KBPS | OFPMF_BURST);
	put32(b, meter_id);
	if (cmd != OFPMC_DELETE) {
		put16(b, 1); /* OFPMBT_DROP */
		put16(b, 16);
		put32(b, rate_kbps);
		put32(b, burst_kb);
		grow(b, 4);
	}
	return end_msg(b, at);
}

/* ---- parser ---- */

int ofp_frame(const uint8_t *buf, size_t len, ofp_hdr *h)
{
	if (len < 8)
		return 0;
	uint16_t n = get16(buf + 2);
	if (n < 8)
		return -EBADMSG;
	if (len < n)
		return 0;
	h->version = buf[0];
	h->type = buf[1];
	h->length = n;
	h->xid = get32(buf + 4);
	return n;
}

/* The highest version both sides allow, from the switch's HELLO. */
static int hello_version(const uint8_t *msg, size_t len, uint8_t *peer)
{
	*peer = msg[0];
	/* Elements follow the header; a version bitmap says exactly which
	 * versions the switch allows (OVS always sends one when it allows
	 * more than one). Without it, the header's version is its highest. */
	size_t off = 8;
	while (off + 4 <= len) {
		uint16_t type = get16(msg + off), elen = get16(msg + off + 2);
		if (elen < 4 || elen > len - off)
			return -EBADMSG;
		if (type == OFPHET_VERSIONBITMAP) {
			if (elen < 8)
				return -EBADMSG;
			/* bit v of word v/32: word 0 holds versions 0..31 */
			return (get32(msg + off + 4) >> OFP_VERSION) & 1 ? OFP_VERSION : -EPROTO;
		}
		off += (elen + 7u) / 8u * 8u; /* elements are padded to 8 */
	}
	return msg[0] >= OFP_VERSION ? OFP_VERSION : -EPROTO;
}

int ofp_rx_msg(ofp_rx *st, const uint8_t *msg, size_t len, ofp_buf *out)
{
	ofp_hdr h;
	if (ofp_frame(msg, len, &h) != (int)len || len > MSG_MAX)
		return -EBADMSG;
	if (!st->version) {
		if (h.type != OFPT_HELLO)
			return -EPROTO;
		int v = hello_version(msg, len, &st->peer_version);
		if (v < 0)
			return v;
		st->version = (uint8_t)v;
		return 0;
	}
	/* OVS answers a message of a version it cannot read with an error
	 * in the version it negotiated; anything else off-version is wrong. */
	if (h.version != st->version)
		return -EPROTO;
	switch (h.type) {
	case OFPT_HELLO:
		return -EPROTO;
	case OFPT_ECHO_REQUEST:
		return ofp_enc_echo_reply(out, h.xid, msg + 8, len - 8);
	case OFPT_BARRIER_REPLY:
		if (h.xid == st->barrier_xid)
			st->barrier_done = true;
		return 0;
	case OFPT_ERROR: {
		if (len < 12)
			return -EBADMSG;
		for (size_t i = 0; i < st->n_ignore; i++)
			if (st->ignore[i] == h.xid)
				return 0;
		if (st->failed)
			return 0;
		st->failed = true;
		st->err_xid = h.xid;
		st->err_type = get16(msg + 8);
		st->err_code = get16(msg + 10);
		st->err_exp = 0;
		st->err_req_type = 0xff;
		size_t data = 12;
		if (st->err_type == 0xffff) {
			/* experimenter error: exp_code, experimenter id */
			if (len < 16)
				return -EBADMSG;
			st->err_exp = get32(msg + 12);
			data = 16;
		}
		/* The data holds the start of the refused request. */
		if (len >= data + 8)
			st->err_req_type = msg[data + 1];
		return 0;
	}
	default:
		return 0; /* asynchronous messages: not ours to act on */
	}
}

/* ---- names ---- */

const char *ofp_type_name(uint8_t type)
{
	switch (type) {
	case OFPT_HELLO: return "HELLO";
	case OFPT_ERROR: return "ERROR";
	case OFPT_ECHO_REQUEST: return "ECHO_REQUEST";
	case OFPT_ECHO_REPLY: return "ECHO_REPLY";
	case OFPT_FLOW_MOD: return "FLOW_MOD";
	case OFPT_BARRIER_REQUEST: return "BARRIER_REQUEST";
	case OFPT_BARRIER_REPLY: return "BARRIER_REPLY";
	case OFPT_METER_MOD: return "METER_MOD";
	default: return "message";
	}
}

const char *ofp_err_type_name(uint16_t type)
{
	static const char *const names[] = {
		"HELLO_FAILED",	      "BAD_REQUEST",	    "BAD_ACTION",	"BAD_INSTRUCTION",
		"BAD_MATCH",	      "FLOW_MOD_FAILED",    "GROUP_MOD_FAILED", "PORT_MOD_FAILED",
		"TABLE_MOD_FAILED",   "QUEUE_OP_FAILED",    "SWITCH_CONFIG_FAILED",
		"ROLE_REQUEST_FAILED", "METER_MOD_FAILED",  "TABLE_FEATURES_FAILED",
	};
	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	return type == 0xffff ? "EXPERIMENTER" : "UNKNOWN_TYPE";
}

const char *ofp_err_code_name(uint16_t type, uint16_t code, char *buf, size_t n)
{
	static const char *const hello[] = { "INCOMPATIBLE", "EPERM" };
	static const char *const req[] = { "BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART",
		"BAD_EXPERIMENTER", "BAD_EXP_TYPE", "EPERM", "BAD_LEN", "BUFFER_EMPTY",
		"BUFFER_UNKNOWN", "BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT", "BAD_PACKET",
		"MULTIPART_BUFFER_OVERFLOW" };
	static const char *const act[] = { "BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER",
		"BAD_EXP_TYPE", "BAD_OUT_PORT", "BAD_ARGUMENT", "EPERM", "TOO_MANY", "BAD_QUEUE",
		"BAD_OUT_GROUP", "MATCH_INCONSISTENT", "UNSUPPORTED_ORDER", "BAD_TAG",
		"BAD_SET_TYPE", "BAD_SET_LEN", "BAD_SET_ARGUMENT" };
	static const char *const inst[] = { "UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID",
		"UNSUP_METADATA", "UNSUP_METADATA_MASK", "BAD_EXPERIMENTER", "BAD_EXP_TYPE",
		"BAD_LEN", "EPERM" };
	static const char *const match[] = { "BAD_TYPE", "BAD_LEN", "BAD_TAG",
		"BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK", "BAD_WILDCARDS", "BAD_FIELD", "BAD_VALUE",
		"BAD_MASK", "BAD_PREREQ", "DUP_FIELD", "EPERM" };
	static const char *const flow[] = { "UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP",
		"EPERM", "BAD_TIMEOUT", "BAD_COMMAND", "BAD_FLAGS" };
	static const char *const meter[] = { "UNKNOWN", "METER_EXISTS", "INVALID_METER",
		"UNKNOWN_METER", "BAD_COMMAND", "BAD_FLAGS", "BAD_RATE", "BAD_BURST", "BAD_BAND",
		"BAD_BAND_VALUE", "OUT_OF_METERS", "OUT_OF_BANDS" };
	const char *const *t = NULL;
	size_t k = 0;
#define PICK(a) (t = (a), k = sizeof(a) / sizeof((a)[0]))
	switch (type) {
	case 0: PICK(hello); break;
	case 1: PICK(req); break;
	case 2: PICK(act); break;
	case 3: PICK(inst); break;
	case 4: PICK(match); break;
	case 5: PICK(flow); break;
	case 12: PICK(meter); break;
	default: break;
	}
#undef PICK
	if (t && code < k)
		return t[code];
	snprintf(buf, n, "%u", code);
	return buf;
}

/* ---- connection ---- */

struct ofp_conn {
	int fd;
	uint32_t next_xid;
	uint8_t in[MSG_MAX + 1];
	size_t in_len;
	ofp_rx rx;
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void seterr(char **err, char *msg)
{
	if (err && !*err)
		*err = msg;
	else
		free(msg);
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads and handles messages until done(c) holds: echoes are answered,
 * errors recorded in c->rx. 0, -ETIMEDOUT, -EPIPE (closed), -EPROTO or
 * -EBADMSG from the parser.
 */
static int pump(ofp_conn *c, bool (*done)(const ofp_conn *))
{
	int64_t until = now_ms() + REPLY_TIMEOUT_MS;
	while (!done(c)) {
		ofp_hdr h;
		int n = ofp_frame(c->in, c->in_len, &h);
		if (n < 0)
			return n;
		if (n > 0) {
			ofp_buf out = { 0 };
			int r = ofp_rx_msg(&c->rx, c->in, (size_t)n, &out);
			if (!r && out.len)
				r = send_all(c->fd, out.p, out.len);
			ofp_buf_free(&out);
			memmove(c->in, c->in + n, c->in_len - (size_t)n);
			c->in_len -= (size_t)n;
			if (r)
				return r;
			continue;
		}
		int64_t left = until - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t rd = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd < 0)
			return -errno;
		if (rd == 0)
			return -EPIPE;
		c->in_len += (size_t)rd;
	}
	return 0;
}

static bool hello_done(const ofp_conn *c)
{
	return c->rx.version != 0;
}

static bool barrier_done(const ofp_conn *c)
{
	return c->rx.barrier_done;
}

int ofp_open(const char *path, ofp_conn **out, char **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		seterr(err, fmt("OpenFlow socket path too long: %s", path));
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	ofp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->next_xid = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int r = -errno;
		seterr(err, fmt("cannot connect to OpenFlow socket %s: %s", path, strerror(-r)));
		ofp_close(c);
		return r;
	}
	ofp_buf b = { 0 };
	ofp_enc_hello(&b, ofp_xid(c));
	int r = send_all(c->fd, b.p, b.len);
	ofp_buf_free(&b);
	if (!r)
		r = pump(c, hello_done);
	if (r == -EPROTO && c->rx.peer_version) {
		seterr(err, fmt("the switch at %s does not allow OpenFlow 1.3 (it offers version "
				"0x%02x; Bridge.protocols)",
				path, c->rx.peer_version));
		r = -EPROTONOSUPPORT;
	} else if (r) {
		seterr(err, fmt("OpenFlow HELLO with %s failed: %s", path,
				r == -EPIPE ? "connection closed (version refused?)" : strerror(-r)));
	}
	if (r) {
		ofp_close(c);
		return r;
	}
	*out = c;
	return 0;
}

ofp_conn *ofp_close(ofp_conn *c)
{
	if (!c)
		return NULL;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

uint32_t ofp_xid(ofp_conn *c)
{
	return c->next_xid++;
}

/* The type of the message with xid in msgs (0xff when none). */
static uint8_t type_of_xid(const ofp_buf *msgs, uint32_t xid)
{
	ofp_hdr h;
	int n;
	for (size_t off = 0; msgs && off < msgs->len; off += (size_t)n) {
		n = ofp_frame(msgs->p + off, msgs->len - off, &h);
		if (n <= 0)
			break;
		if (h.xid == xid)
			return h.type;
	}
	return 0xff;
}

int ofp_transact(ofp_conn *c, const ofp_buf *msgs, const uint32_t *ignore, size_t n_ignore,
		 char **err)
{
	ofp_buf b = { 0 };
	if (msgs && msgs->len)
		putn(&b, msgs->p, msgs->len);
	uint32_t bx = ofp_xid(c);
	ofp_enc_barrier(&b, bx);
	c->rx.barrier_xid = bx;
	c->rx.barrier_done = false;
	c->rx.failed = false;
	c->rx.ignore = ignore;
	c->rx.n_ignore = n_ignore;
	int r = send_all(c->fd, b.p, b.len);
	ofp_buf_free(&b);
	if (!r)
		r = pump(c, barrier_done);
	c->rx.ignore = NULL;
	c->rx.n_ignore = 0;
	if (r) {
		seterr(err, fmt("OpenFlow: no barrier reply from the switch: %s", strerror(-r)));
		return r;
	}
	if (c->rx.failed) {
		char cb[16];
		uint8_t t = c->rx.err_req_type != 0xff ? c->rx.err_req_type :
							type_of_xid(msgs, c->rx.err_xid);
		seterr(err, fmt("OpenFlow error %s/%s (type %u, code %u) for %s (xid %u)",
				ofp_err_type_name(c->rx.err_type),
				c->rx.err_type == 0xffff ?
					"experimenter" :
					ofp_err_code_name(c->rx.err_type, c->rx.err_code, cb,
							  sizeof(cb)),
				c->rx.err_type, c->rx.err_code, ofp_type_name(t), c->rx.err_xid));
		return -EPROTO;
	}
	return 0;
}
