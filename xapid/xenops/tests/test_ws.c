/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The WebSocket codec of the console proxy (xenops/ws.c): the RFC 6455
 * accept key example, masked client frames of every length form fed
 * whole, byte by byte and into a tiny output, fragmented messages, ping
 * and close events, and the protocol errors (unmasked, reserved bits,
 * unknown opcode, long or fragmented control frames).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ws.h"

/* A masked client frame into buf; returns its length. */
static size_t frame(uint8_t *buf, int b0, const uint8_t *payload, size_t len)
{
	static const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t h = ws_header(buf, 0, len);
	buf[0] = (uint8_t)b0;
	buf[1] |= 0x80;
	memcpy(buf + h, mask, 4);
	for (size_t i = 0; i < len; i++)
		buf[h + 4 + i] = payload[i] ^ mask[i & 3];
	return h + 4 + len;
}

/* Decodes all of in with outputs of at most cap bytes and input chunks of
 * at most step bytes; collects data into out; returns the last event. */
static ws_event run(const uint8_t *in, size_t n, size_t step, size_t cap, uint8_t *out,
		    size_t *out_len)
{
	ws_dec d;
	ws_dec_init(&d);
	size_t pos = 0;
	ws_event last = WS_EV_NONE;
	*out_len = 0;
	for (int guard = 0; pos < n && guard < 1000000; guard++) {
		size_t chunk = n - pos < step ? n - pos : step, produced;
		ws_event ev;
		size_t used = ws_decode(&d, in + pos, chunk, out + *out_len, cap, &produced, &ev);
		*out_len += produced;
		pos += used;
		if (ev != WS_EV_NONE)
			last = ev;
		if (ev == WS_EV_ERROR || ev == WS_EV_CLOSE)
			break;
	}
	return last;
}

int main(void)
{
	char acc[29];
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc) && !strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
	      "RFC 6455 example: %s", acc);
	OK("Sec-WebSocket-Accept of the RFC's example key");

	static uint8_t payload[70000], buf[200000], out[200000];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	size_t sizes[] = { 0, 1, 125, 126, 65535, 65536, 70000 };
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t len = sizes[k], n = frame(buf, 0x82, payload, len), got;
		ws_event ev = run(buf, n, n, sizeof out, out, &got);
		CHECK(ev == WS_EV_NONE && got == len && !memcmp(out, payload, len), "whole, %zu bytes", len);
		ev = run(buf, n, 1, 3, out, &got);
		CHECK(ev == WS_EV_NONE && got == len && !memcmp(out, payload, len),
		      "byte by byte into 3-byte outputs, %zu bytes", len);
	}
	OK("binary frames of 7/16/64-bit lengths, whole or byte by byte, bounded output");

	size_t n = frame(buf, 0x01, payload, 10); /* text, not final */
	n += frame(buf + n, 0x89, (const uint8_t *)"hi", 2); /* a ping in between */
	n += frame(buf + n, 0x80, payload + 10, 20); /* final continuation */
	ws_dec d;
	ws_dec_init(&d);
	size_t produced;
	ws_event ev;
	size_t used = ws_decode(&d, buf, n, out, sizeof out, &produced, &ev);
	CHECK(ev == WS_EV_PING && d.ctl_len == 2 && !memcmp(d.ctl, "hi", 2) && produced == 10,
	      "stops at the ping with its payload");
	size_t p2;
	size_t used2 = ws_decode(&d, buf + used, n - used, out + produced, sizeof out, &p2, &ev);
	CHECK(ev == WS_EV_NONE && used + used2 == n && produced + p2 == 30 &&
		      !memcmp(out, payload, 30),
	      "fragmented message around a control frame");
	n = frame(buf, 0x88, (const uint8_t *)"\x03\xe8", 2);
	size_t got;
	CHECK(run(buf, n, n, 10, out, &got) == WS_EV_CLOSE, "close");
	OK("fragmentation, ping and close events");

	n = frame(buf, 0x82, payload, 5);
	buf[1] &= 0x7F; /* unmasked */
	CHECK(run(buf, n, n, 100, out, &got) == WS_EV_ERROR, "an unmasked frame is an error");
	n = frame(buf, 0xC2, payload, 5);
	CHECK(run(buf, n, n, 100, out, &got) == WS_EV_ERROR, "RSV1 is an error");
	n = frame(buf, 0x83, payload, 5);
	CHECK(run(buf, n, n, 100, out, &got) == WS_EV_ERROR, "opcode 3 is an error");
	n = frame(buf, 0x89, payload, 126);
	CHECK(run(buf, n, n, 100, out, &got) == WS_EV_ERROR, "a 126-byte ping is an error");
	n = frame(buf, 0x09, payload, 1);
	CHECK(run(buf, n, n, 100, out, &got) == WS_EV_ERROR, "a fragmented ping is an error");
	uint8_t huge[14] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	CHECK(run(huge, sizeof huge, 14, 100, out, &got) == WS_EV_ERROR, "a 2^63 length is an error");
	OK("protocol errors");
	return check_done("xenops-ws");
}
