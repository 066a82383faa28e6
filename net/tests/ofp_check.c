/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenFlow encoder and reply parser (net/ofp.c) without a switch:
 * every message the ovs backend sends is compared byte for byte with a
 * known-good encoding (checked once by decoding it with
 * `ovs-ofctl -O OpenFlow13 ofp-print`, which this test repeats when
 * ovs-ofctl is installed), then the parser is fed HELLOs, echoes, errors
 * and barrier replies, well-formed and not.
 *   ofp_check          run the checks
 *   ofp_check gen      print each case's encoding as hex (to renew fixtures)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ofp.h"

#define MAC "02:00:00:00:00:05"
#define CK(kind) (UINT64_C(0x4878) << 48 | (uint64_t)(kind) << 32 | 3u)

typedef struct tcase {
	const char *name;
	const char *hex;   /* known-good encoding, xid 0x11 */
	const char *print; /* what ovs-ofctl ofp-print says about it (a substring) */
} tcase;

static ofp_match base(uint16_t eth_type)
{
	ofp_match m = { .fields = OFPM_IN_PORT | OFPM_ETH_TYPE, .in_port = 3, .eth_type = eth_type };
	ofp_match_eth_src(&m, MAC);
	return m;
}

static ofp_flow add(uint8_t table, uint16_t prio, uint64_t cookie, ofp_match m)
{
	return (ofp_flow){ .command = OFPFC_ADD, .table = table, .priority = prio,
			   .cookie = cookie, .match = m, .normal = true, .goto_table = -1 };
}

/* Encodes case i into b; returns its description or NULL past the end. */
static const tcase *encode(size_t i, ofp_buf *b)
{
	static const tcase cases[] = {
#include "ofp_fixtures.h"
	};
	if (i >= sizeof(cases) / sizeof(cases[0]))
		return NULL;
	ofp_flow f;
	ofp_match m;
	switch (i) {
	case 0: /* table=1,priority=200,in_port=3,actions=drop */
		f = (ofp_flow){ .command = OFPFC_ADD, .table = 1, .priority = 200, .cookie = CK(2),
				.match = { .fields = OFPM_IN_PORT, .in_port = 3 }, .goto_table = -1 };
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 1: /* DHCP discovery */
		m = base(0x0800);
		m.fields |= OFPM_IP_PROTO | OFPM_UDP_SRC | OFPM_UDP_DST;
		m.ip_proto = 17;
		m.udp_src = 68;
		m.udp_dst = 67;
		ofp_match_ipv4_src(&m, "0.0.0.0");
		f = add(1, 300, CK(2), m);
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 2: /* ARP from an allowed address */
		m = base(0x0806);
		ofp_match_arp_spa(&m, "10.0.0.5");
		ofp_match_arp_sha(&m, MAC);
		f = add(1, 300, CK(2), m);
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 3: /* IPv4 from an allowed prefix (host bits cleared) */
		m = base(0x0800);
		ofp_match_ipv4_src(&m, "10.1.2.3/16");
		f = add(1, 300, CK(2), m);
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 4: /* IPv6 from an allowed address */
		m = base(0x86dd);
		ofp_match_ipv6_src(&m, "2001:db8::5");
		f = add(1, 300, CK(2), m);
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 5: /* IPv6 link-local */
		m = base(0x86dd);
		ofp_match_ipv6_src(&m, "fe80::/10");
		f = add(1, 300, CK(2), m);
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 6: /* table=0,priority=1,actions=goto_table:1 */
		f = (ofp_flow){ .command = OFPFC_ADD, .table = 0, .priority = 1, .cookie = CK(0) - 3,
				.goto_table = 1 };
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 7: /* table=1,priority=0,actions=NORMAL */
		f = add(1, 0, CK(0) - 3, (ofp_match){ 0 });
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 8: /* the rate limit's flow */
		f = (ofp_flow){ .command = OFPFC_ADD, .table = 0, .priority = 100, .cookie = CK(1),
				.match = { .fields = OFPM_IN_PORT, .in_port = 3 }, .meter = 3,
				.goto_table = 1 };
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 9:
		ofp_enc_meter_mod(b, 0x11, OFPMC_ADD, 3, 2000, 200);
		break;
	case 10:
		ofp_enc_meter_mod(b, 0x11, OFPMC_DELETE, 3, 0, 0);
		break;
	case 11: /* del-flows table=1,in_port=3 */
		f = (ofp_flow){ .command = OFPFC_DELETE, .table = 1, .goto_table = -1,
				.match = { .fields = OFPM_IN_PORT, .in_port = 3 } };
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 12: /* del-flows cookie=<lock cookie of port 3>/-1, every table */
		f = (ofp_flow){ .command = OFPFC_DELETE, .table = OFPTT_ALL, .goto_table = -1,
				.cookie = CK(2), .cookie_mask = UINT64_MAX };
		ofp_enc_flow_mod(b, 0x11, &f);
		break;
	case 13:
		ofp_enc_hello(b, 0x11);
		break;
	case 14:
		ofp_enc_barrier(b, 0x11);
		break;
	}
	return &cases[i];
}

static char *hex(const ofp_buf *b)
{
	char *s = malloc(2 * b->len + 1);
	for (size_t i = 0; i < b->len; i++)
		sprintf(s + 2 * i, "%02x", b->p[i]);
	s[2 * b->len] = 0;
	return s;
}

static bool have_ofctl(void)
{
	return system("ovs-ofctl --version >/dev/null 2>&1") == 0;
}

static char *ofp_print(const char *h)
{
	char cmd[4096], buf[4096];
	snprintf(cmd, sizeof(cmd), "ovs-ofctl -O OpenFlow13 ofp-print %s 2>&1", h);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
	if (p)
		pclose(p);
	buf[n] = 0;
	return strdup(buf);
}

static void check_encodings(void)
{
	bool ofctl = have_ofctl();
	const tcase *t;
	size_t i = 0;
	ofp_buf b = { 0 };
	for (; (t = encode(i, &b)); i++, b.len = 0) {
		char *h = hex(&b);
		CHECK(!strcmp(h, t->hex), "%s:\n  got  %s\n  want %s", t->name, h, t->hex);
		if (ofctl) {
			char *out = ofp_print(h);
			CHECK(strstr(out, t->print) && !strstr(out, "decode error") &&
				      !strstr(out, "bad"),
			      "%s: ovs-ofctl ofp-print says:\n%s", t->name, out);
			free(out);
		}
		free(h);
	}
	ofp_buf_free(&b);
	OK("%zu messages (flows of port security, rate limit and pipeline, meters, deletes by "
	   "in_port and by cookie, HELLO, BARRIER) equal their known-good bytes%s",
	   i, ofctl ? " and decode with ovs-ofctl ofp-print to the expected flow text" :
		      " (ovs-ofctl not installed: decoding not cross-checked)");
}

static void check_refusals(void)
{
	ofp_buf b = { 0 };
	ofp_flow f = { .command = OFPFC_ADD, .table = 1, .goto_table = -1,
		       .match = { .fields = OFPM_UDP_SRC, .udp_src = 68 } };
	CHECK(ofp_enc_flow_mod(&b, 1, &f) == -EINVAL && b.len == 0, "udp_src without ip_proto");
	f.match = (ofp_match){ .fields = OFPM_ARP_SPA | OFPM_ETH_TYPE, .eth_type = 0x0800 };
	CHECK(ofp_enc_flow_mod(&b, 1, &f) == -EINVAL && b.len == 0, "arp_spa on IPv4");
	f.match = (ofp_match){ .fields = OFPM_IPV4_SRC };
	CHECK(ofp_enc_flow_mod(&b, 1, &f) == -EINVAL && b.len == 0, "ipv4_src without eth_type");
	f.match = (ofp_match){ 0 };
	f.goto_table = 1;
	CHECK(ofp_enc_flow_mod(&b, 1, &f) == -EINVAL && b.len == 0, "goto backwards");
	f.goto_table = -1;
	f.table = OFPTT_ALL;
	CHECK(ofp_enc_flow_mod(&b, 1, &f) == -EINVAL && b.len == 0, "add to table ALL");
	f.command = 9;
	CHECK(ofp_enc_flow_mod(&b, 1, &f) == -EINVAL && b.len == 0, "bad command");
	CHECK(ofp_enc_meter_mod(&b, 1, OFPMC_ADD, 0, 10, 1) == -EINVAL, "meter 0");
	CHECK(ofp_enc_meter_mod(&b, 1, OFPMC_ADD, 5, 0, 1) == -EINVAL, "rate 0");
	CHECK(ofp_enc_meter_mod(&b, 1, OFPMC_ADD, OFPM_ALL, 5, 1) == -EINVAL, "meter ALL");
	CHECK(b.len == 0, "nothing appended");
	ofp_match m = { 0 };
	CHECK(ofp_match_ipv4_src(&m, "10.0.0.300") == -EINVAL, "bad v4");
	CHECK(ofp_match_ipv4_src(&m, "10.0.0.1/33") == -EINVAL, "bad v4 prefix");
	CHECK(ofp_match_ipv4_src(&m, "10.0.0.1/") == -EINVAL, "empty prefix");
	CHECK(ofp_match_ipv6_src(&m, "fe80::/129") == -EINVAL, "bad v6 prefix");
	CHECK(ofp_match_ipv6_src(&m, "1.2.3.4") == -EINVAL, "v4 as v6");
	CHECK(ofp_match_eth_src(&m, "02:00:00:00:00") == -EINVAL, "short MAC");
	CHECK(ofp_match_eth_src(&m, "02:00:00:00:00:0g") == -EINVAL, "bad MAC digit");
	CHECK(ofp_match_eth_src(&m, "02-00-00-00-00-05") == -EINVAL, "bad MAC separator");
	CHECK(m.fields == 0, "no field set by a refused value");
	ofp_buf_free(&b);
	OK("unencodable flows (missing prerequisites, goto backwards, add to all tables, bad "
	   "command), meters (id 0, rate 0, reserved id) and bad addresses/MACs are refused "
	   "and append nothing");
}

/* Feeds one message built from hex to st. */
static int feed(ofp_rx *st, const char *h, ofp_buf *out)
{
	uint8_t msg[256];
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &msg[i]);
	/* exact-size copy so that ASan sees a read past the end */
	uint8_t *m = malloc(n ? n : 1);
	memcpy(m, msg, n);
	int r = ofp_rx_msg(st, m, n, out);
	free(m);
	return r;
}

static void check_parser(void)
{
	ofp_buf out = { 0 };
	ofp_rx st = { 0 };
	/* OVS's HELLO when 1.0, 1.3, 1.4 and 1.5 are allowed */
	CHECK(feed(&st, "0600001000000001" "000100080000005a", &out) == 0 && st.version == 4 &&
		      st.peer_version == 6,
	      "hello with bitmap 1.0/1.3/1.4/1.5");
	CHECK(feed(&st, "0402000c00000009" "61626364", &out) == 0 && out.len == 12 &&
		      !memcmp(out.p, "\x04\x03\x00\x0c\x00\x00\x00\x09" "abcd", 12),
	      "echo request answered with the same xid and data");
	st.barrier_xid = 7;
	CHECK(feed(&st, "0415000800000006", &out) == 0 && !st.barrier_done, "other barrier");
	CHECK(feed(&st, "0415000800000007", &out) == 0 && st.barrier_done, "our barrier");
	uint32_t ign = 5;
	st.ignore = &ign;
	st.n_ignore = 1;
	CHECK(feed(&st, "0401001400000005" "000c0003" "041d001000000005", &out) == 0 && !st.failed,
	      "ignored error");
	CHECK(feed(&st, "0401001400000008" "00050001" "040e005000000008", &out) == 0 &&
		      st.failed && st.err_type == 5 && st.err_code == 1 && st.err_xid == 8 &&
		      st.err_req_type == OFPT_FLOW_MOD,
	      "flow-mod error recorded");
	CHECK(feed(&st, "0401001400000009" "000c0003" "041d001000000009", &out) == 0 &&
		      st.err_xid == 8,
	      "the first error is kept");
	ofp_rx ex = { .version = 4 };
	CHECK(feed(&ex, "0401001200000002" "ffff0010" "00002320" "04ff", &out) == 0 && ex.failed &&
		      ex.err_type == 0xffff && ex.err_exp == 0x2320 && ex.err_req_type == 0xff,
	      "experimenter error without a request copy");
	CHECK(feed(&st, "0410000800000001", &out) == 0, "asynchronous message ignored");
	CHECK(feed(&st, "0400000800000001", &out) == -EPROTO, "second HELLO");
	CHECK(feed(&st, "0115000800000007", &out) == -EPROTO, "message of another version");
	CHECK(feed(&st, "0401000a00000001" "0001", &out) == -EBADMSG, "short error");
	CHECK(feed(&st, "0402000900000001", &out) == -EBADMSG, "length beyond the bytes");
	CHECK(feed(&st, "0402000400000001", &out) == -EBADMSG, "length below a header");

	ofp_rx a = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, g = { 0 };
	CHECK(feed(&a, "0100000800000001", &out) == -EPROTO && a.peer_version == 1,
	      "OpenFlow 1.0-only switch (no bitmap)");
	CHECK(feed(&c, "0600001000000001" "0001000800000002", &out) == -EPROTO,
	      "bitmap without 1.3");
	CHECK(feed(&d, "0500000800000001", &out) == 0 && d.version == 4, "1.4 without bitmap");
	CHECK(feed(&e, "0415000800000001", &out) == -EPROTO, "no HELLO first");
	CHECK(feed(&g, "0600001000000001" "0001002000000002", &out) == -EBADMSG,
	      "hello element longer than the message");
	char nb[16];
	CHECK(!strcmp(ofp_err_type_name(12), "METER_MOD_FAILED") &&
		      !strcmp(ofp_err_code_name(12, 3, nb, sizeof(nb)), "UNKNOWN_METER") &&
		      !strcmp(ofp_err_code_name(4, 9, nb, sizeof(nb)), "BAD_PREREQ") &&
		      !strcmp(ofp_err_code_name(5, 77, nb, sizeof(nb)), "77") &&
		      !strcmp(ofp_err_type_name(0xffff), "EXPERIMENTER"),
	      "error names");
	ofp_hdr h;
	CHECK(ofp_frame((const uint8_t *)"\x04\x00\x00", 3, &h) == 0, "partial header");
	CHECK(ofp_frame((const uint8_t *)"\x04\x00\x00\x10\0\0\0\0", 8, &h) == 0, "partial body");
	ofp_buf_free(&out);
	OK("parser: HELLO version negotiation (bitmap, no bitmap, no 1.3, not first), echo "
	   "answered, barrier matched by xid, first unexpected ERROR kept with type/code/request, "
	   "expected ones dropped, malformed lengths and off-version messages refused, framing");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "gen")) {
		const tcase *t;
		ofp_buf b = { 0 };
		for (size_t i = 0; (t = encode(i, &b)); i++, b.len = 0) {
			char *h = hex(&b);
			printf("%s %s\n", t->name, h);
			free(h);
		}
		ofp_buf_free(&b);
		return 0;
	}
	check_encodings();
	check_refusals();
	check_parser();
	return check_done("ofp");
}
