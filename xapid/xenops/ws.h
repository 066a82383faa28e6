/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A streaming WebSocket (RFC 6455) frame codec for the console proxy
 * (ws.c): the server side, binary payloads. The decoder takes client
 * bytes as they come, unmasks data frames into a bounded output, and
 * stops at each complete control frame (ping, close) so that the caller
 * can answer it. Pure: no I/O, no allocation.
 */
#ifndef HALYARD_WS_H
#define HALYARD_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xA

typedef enum {
	WS_EV_NONE,
	WS_EV_PING,  /* answer with a pong carrying ctl[0..ctl_len) */
	WS_EV_CLOSE, /* answer with a close frame carrying ctl, then end */
	WS_EV_ERROR, /* a protocol error: send close 1002 and end */
} ws_event;

typedef struct ws_dec {
	int state;
	uint8_t hdr[14];
	size_t hlen, hneed;
	uint64_t left;      /* payload bytes left in the current frame */
	uint8_t mask[4];
	unsigned mpos;
	int opcode;
	bool fin;
	uint8_t ctl[125];   /* a control frame's payload */
	size_t ctl_len;
} ws_dec;

void ws_dec_init(ws_dec *d);

/*
 * Feeds in[0..n): the payload of data frames goes to out (at most cap
 * bytes, *out_len set). Returns the bytes of in consumed; stops early when
 * out is full or an event happened (*ev). After WS_EV_ERROR or
 * WS_EV_CLOSE the decoder consumes nothing more.
 */
size_t ws_decode(ws_dec *d, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
		 size_t *out_len, ws_event *ev);

/* Writes a server (unmasked) frame header for a final frame of opcode
 * with len payload bytes into h (>= 10 bytes); returns its length. */
size_t ws_header(uint8_t *h, int opcode, uint64_t len);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (base64 of the SHA-1 of
 * key + the RFC's GUID) into out (>= 29 bytes). False if key is too long. */
bool ws_accept_key(const char *key, char out[29]);

#endif
