/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small OpenFlow 1.3 client: the encoder for the few messages the ovs
 * backend sends (FLOW_MOD with OXM matches, METER_MOD, BARRIER, ECHO,
 * HELLO), the parser for what a switch sends back (framing, HELLO
 * version negotiation, ERROR, ECHO, BARRIER_REPLY), and a connection to
 * a bridge's management socket (<ovs rundir>/<bridge>.mgmt) that sends a
 * batch of messages followed by a barrier and returns only when the
 * switch has applied all of them, or with the first OpenFlow error.
 *
 * The encoder and parser do no I/O and never allocate except into the
 * caller's ofp_buf, so they can be unit-tested against known bytes and
 * fuzzed.
 */
#ifndef HALYARD_NET_OFP_H
#define HALYARD_NET_OFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFP_VERSION 0x04 /* OpenFlow 1.3 */

enum ofp_type {
	OFPT_HELLO = 0,
	OFPT_ERROR = 1,
	OFPT_ECHO_REQUEST = 2,
	OFPT_ECHO_REPLY = 3,
	OFPT_FLOW_MOD = 14,
	OFPT_BARRIER_REQUEST = 20,
	OFPT_BARRIER_REPLY = 21,
	OFPT_METER_MOD = 29,
};

enum ofp_flow_cmd { OFPFC_ADD = 0, OFPFC_DELETE = 3, OFPFC_DELETE_STRICT = 4 };
enum ofp_meter_cmd { OFPMC_ADD = 0, OFPMC_MODIFY = 1, OFPMC_DELETE = 2 };

#define OFPP_NORMAL 0xfffffffau
#define OFPP_ANY 0xffffffffu
#define OFPTT_ALL 0xff
#define OFPM_ALL 0xffffffffu

/* Match fields present in an ofp_match (bits of .fields). */
enum {
	OFPM_IN_PORT = 1u << 0,
	OFPM_ETH_SRC = 1u << 1,
	OFPM_ETH_TYPE = 1u << 2,
	OFPM_IP_PROTO = 1u << 3,
	OFPM_IPV4_SRC = 1u << 4,
	OFPM_UDP_SRC = 1u << 5,
	OFPM_UDP_DST = 1u << 6,
	OFPM_ARP_SPA = 1u << 7,
	OFPM_ARP_SHA = 1u << 8,
	OFPM_IPV6_SRC = 1u << 9,
	OFPM_ICMPV6_TYPE = 1u << 10,
	OFPM_ND_TARGET = 1u << 11,
};

/*
 * A match: only the fields whose bit is set in .fields are encoded.
 * Addresses are in network byte order; a prefix length shorter than the
 * address (ipv4/arp_spa < 32, ipv6 < 128) encodes a masked field, 0 leaves
 * the field out. The caller orders nothing: OXM TLVs are emitted in one
 * fixed order, prerequisites first.
 */
typedef struct ofp_match {
	uint32_t fields;
	uint32_t in_port;
	uint8_t eth_src[6];
	uint16_t eth_type;
	uint8_t ip_proto;
	uint8_t ipv4_src[4], ipv4_plen;
	uint16_t udp_src, udp_dst;
	uint8_t arp_spa[4], arp_plen;
	uint8_t arp_sha[6];
	uint8_t ipv6_src[16], ipv6_plen;
	uint8_t icmpv6_type;
	uint8_t nd_target[16];
} ofp_match;

/*
 * A FLOW_MOD. Instructions, in this order when set: meter (meter != 0),
 * apply-actions output:NORMAL (normal), goto_table (goto_table >= 0).
 * None of them = drop. For deletes, out_port/out_group are ANY and
 * cookie/cookie_mask select flows by cookie (mask 0 = any cookie).
 */
typedef struct ofp_flow {
	uint8_t command; /* ofp_flow_cmd */
	uint8_t table;	 /* OFPTT_ALL for a delete in every table */
	uint16_t priority;
	uint64_t cookie, cookie_mask;
	ofp_match match;
	uint32_t meter;
	bool normal;
	int goto_table;
} ofp_flow;

/* A growable byte buffer for encoded messages. */
typedef struct ofp_buf {
	uint8_t *p;
	size_t len, cap;
} ofp_buf;

void ofp_buf_free(ofp_buf *b);

/*
 * Encoders: append one message with transaction id xid to b; each
 * returns 0 or -EINVAL for an unencodable argument (nothing appended).
 * Allocation failure aborts (hx_oom).
 */
int ofp_enc_hello(ofp_buf *b, uint32_t xid);
int ofp_enc_echo_reply(ofp_buf *b, uint32_t xid, const uint8_t *data, size_t len);
int ofp_enc_barrier(ofp_buf *b, uint32_t xid);
int ofp_enc_flow_mod(ofp_buf *b, uint32_t xid, const ofp_flow *f);
/* A meter with one drop band; flags kbps|burst (OFPMC_DELETE ignores
 * rate and burst and sends no band). */
int ofp_enc_meter_mod(ofp_buf *b, uint32_t xid, uint16_t cmd, uint32_t meter_id,
		      uint32_t rate_kbps, uint32_t burst_kb);

/* Match helpers: parse "a.b.c.d[/plen]" / an IPv6 address[/plen] / a MAC
 * "xx:xx:xx:xx:xx:xx" into a match field and set its bit. 0 or -EINVAL. */
int ofp_match_ipv4_src(ofp_match *m, const char *addr);
int ofp_match_arp_spa(ofp_match *m, const char *addr);
int ofp_match_ipv6_src(ofp_match *m, const char *addr);
int ofp_match_eth_src(ofp_match *m, const char *mac);
int ofp_match_arp_sha(ofp_match *m, const char *mac);

/* One message header. */
typedef struct ofp_hdr {
	uint8_t version, type;
	uint16_t length;
	uint32_t xid;
} ofp_hdr;

/*
 * Framing: when buf (len bytes) starts with a whole message, fills *h and
 * returns its length; 0 when more bytes are needed; -EBADMSG when the
 * header cannot start a message (length < 8).
 */
int ofp_frame(const uint8_t *buf, size_t len, ofp_hdr *h);

/*
 * The state of one conversation as the client reads it: the version it
 * negotiated, the barrier it waits for and the first error seen. The
 * parser is ofp_rx_msg; it never reads past len.
 */
typedef struct ofp_rx {
	uint8_t version;      /* 0 until the switch's HELLO arrived */
	uint8_t peer_version; /* the version the switch's HELLO offered */
	uint32_t barrier_xid; /* the barrier we wait for */
	bool barrier_done;
	bool failed;	      /* an ERROR arrived (the first is kept) */
	uint16_t err_type, err_code;
	uint32_t err_xid;
	uint8_t err_req_type; /* type of the refused request, 0xff unknown */
	uint32_t err_exp;     /* experimenter id for type 0xffff */
	const uint32_t *ignore; /* xids whose errors are expected (not kept) */
	size_t n_ignore;
} ofp_rx;

/*
 * Reads one whole message (as ofp_frame delimited it) into st. An ECHO
 * request appends its reply to out. An ERROR whose xid is in st->ignore
 * is dropped; the first other one is kept. Returns 0, or -EPROTO when the
 * conversation cannot go on: the HELLO offers no OpenFlow 1.3, a message
 * other than HELLO came first, or a message carries another version than
 * the one negotiated; -EBADMSG for a malformed message.
 */
int ofp_rx_msg(ofp_rx *st, const uint8_t *msg, size_t len, ofp_buf *out);

/* "FLOW_MOD_FAILED/TABLE_FULL"-style names (static strings; numbers
 * are written into buf when the name is unknown). */
const char *ofp_err_type_name(uint16_t type);
const char *ofp_err_code_name(uint16_t type, uint16_t code, char *buf, size_t n);
const char *ofp_type_name(uint8_t type);

/* A connection to one bridge's management socket. */
typedef struct ofp_conn ofp_conn;

/*
 * Connects to the unix socket path and negotiates OpenFlow 1.3. Returns 0,
 * -errno for the socket, -EPROTONOSUPPORT when the switch does not allow
 * OpenFlow 1.3 (Bridge.protocols), with *err (heap) saying why.
 */
int ofp_open(const char *path, ofp_conn **out, char **err);
ofp_conn *ofp_close(ofp_conn *c);
/* The next transaction id for a message of c. */
uint32_t ofp_xid(ofp_conn *c);

/*
 * Sends msgs (encoded with xids from ofp_xid) and a barrier, answers
 * echoes, and returns once the barrier reply arrived: 0 when the switch
 * applied everything; -EPROTO with *err naming the first OpenFlow error
 * (type/code and the refused message) unless its xid is in ignore
 * (n_ignore entries: requests whose failure is expected, such as a delete
 * of a meter that may not exist); -errno / -ETIMEDOUT for the transport.
 */
int ofp_transact(ofp_conn *c, const ofp_buf *msgs, const uint32_t *ignore, size_t n_ignore,
		 char **err);

#endif
