/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WebSocket frames (see ws.h). Client frames must be masked (RFC 6455
 * 5.1); control frames are at most 125 bytes and never fragmented; text
 * frames are carried as bytes like binary ones (the console is a byte
 * stream); a reserved bit or an unknown opcode is a protocol error.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "ws.h"

enum { S_HDR, S_PAYLOAD, S_DONE };

void ws_dec_init(ws_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->state = S_HDR;
	d->hneed = 2;
}

static bool is_control(int op)
{
	return op >= 0x8;
}

/* The header is complete: checks it and prepares the payload. */
static ws_event header_done(ws_dec *d)
{
	uint8_t b0 = d->hdr[0], b1 = d->hdr[1];
	int op = b0 & 0x0F;
	if (b0 & 0x70)
		return WS_EV_ERROR; /* RSV bits without an extension */
	if (!(op <= WS_OP_BINARY || op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG))
		return WS_EV_ERROR;
	if (!(b1 & 0x80))
		return WS_EV_ERROR; /* unmasked client frame */
	uint64_t len = b1 & 0x7F;
	size_t at = 2;
	if (len == 126) {
		len = (uint64_t)d->hdr[2] << 8 | d->hdr[3];
		at = 4;
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | d->hdr[2 + i];
		at = 10;
		if (len >> 63)
			return WS_EV_ERROR;
	}
	if (is_control(op) && (len > 125 || !(b0 & 0x80)))
		return WS_EV_ERROR;
	memcpy(d->mask, d->hdr + at, 4);
	d->mpos = 0;
	d->left = len;
	d->fin = b0 & 0x80;
	if (is_control(op)) {
		d->opcode = op;
		d->ctl_len = 0;
	} else if (op != WS_OP_CONT) {
		d->opcode = op; /* the data opcode of a (possibly fragmented) message */
	}
	d->state = S_PAYLOAD;
	return WS_EV_NONE;
}

/* Bytes of header still needed once the first two are known. */
static size_t header_len(const uint8_t *h)
{
	uint8_t l = h[1] & 0x7F;
	return 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
}

size_t ws_decode(ws_dec *d, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
		 size_t *out_len, ws_event *ev)
{
	size_t i = 0;
	*out_len = 0;
	*ev = WS_EV_NONE;
	while (i < n && d->state != S_DONE) {
		if (d->state == S_HDR) {
			while (i < n && d->hlen < d->hneed)
				d->hdr[d->hlen++] = in[i++];
			if (d->hlen < d->hneed)
				break;
			if (d->hneed == 2 && header_len(d->hdr) > 2) {
				d->hneed = header_len(d->hdr);
				continue;
			}
			/* A frame header without the mask bit is two bytes long. */
			if (!(d->hdr[1] & 0x80) || (*ev = header_done(d)) != WS_EV_NONE) {
				*ev = WS_EV_ERROR;
				d->state = S_DONE;
				break;
			}
		}
		/* S_PAYLOAD (possibly empty) */
		bool ctl = is_control(d->hdr[0] & 0x0F);
		while (i < n && d->left) {
			uint8_t c = in[i] ^ d->mask[d->mpos++ & 3];
			if (ctl) {
				d->ctl[d->ctl_len++] = c;
			} else {
				if (*out_len == cap)
					break;
				out[(*out_len)++] = c;
			}
			i++;
			d->left--;
		}
		if (d->left)
			break; /* out of input or out of room */
		int op = d->hdr[0] & 0x0F;
		d->state = S_HDR;
		d->hlen = 0;
		d->hneed = 2;
		if (op == WS_OP_PING) {
			*ev = WS_EV_PING;
			break;
		}
		if (op == WS_OP_CLOSE) {
			*ev = WS_EV_CLOSE;
			d->state = S_DONE;
			break;
		}
		if (*out_len == cap)
			break;
	}
	return i;
}

size_t ws_header(uint8_t *h, int opcode, uint64_t len)
{
	h[0] = (uint8_t)(0x80 | (opcode & 0x0F));
	if (len < 126) {
		h[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xFFFF) {
		h[1] = 126;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

bool ws_accept_key(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char buf[128];
	size_t kl = strlen(key);
	if (kl + sizeof(guid) > sizeof(buf))
		return false;
	memcpy(buf, key, kl);
	memcpy(buf + kl, guid, sizeof(guid) - 1);
	uint8_t sha[20];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, kl + sizeof(guid) - 1, sha) < 0)
		return false;
	size_t o = 0;
	for (size_t i = 0; i < 20; i += 3) {
		uint32_t v = (uint32_t)sha[i] << 16 | (i + 1 < 20 ? (uint32_t)sha[i + 1] << 8 : 0) |
			     (i + 2 < 20 ? sha[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < 20 ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < 20 ? b64[v & 63] : '=';
	}
	out[o] = 0;
	return true;
}
