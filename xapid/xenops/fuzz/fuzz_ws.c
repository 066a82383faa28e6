/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target of the WebSocket decoder (xenops/ws.c). Byte 0 picks the
 * output size (1–256), byte 1 the input chunk size (1–256); the rest is
 * what a client sends. Checks that the decoder never consumes more than
 * it was given, never writes past its output, and always makes progress
 * until an error or a close.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cap = (size_t)data[0] + 1, step = (size_t)data[1] + 1;
	data += 2;
	size -= 2;
	uint8_t out[257];
	ws_dec d;
	ws_dec_init(&d);
	size_t pos = 0;
	while (pos < size) {
		size_t chunk = size - pos < step ? size - pos : step, produced = 0;
		ws_event ev;
		out[cap] = 0xA5;
		size_t used = ws_decode(&d, data + pos, chunk, out, cap, &produced, &ev);
		if (used > chunk || produced > cap || out[cap] != 0xA5 || d.ctl_len > sizeof(d.ctl))
			abort();
		if (ev == WS_EV_ERROR || ev == WS_EV_CLOSE)
			break;
		/* No event and nothing consumed is only allowed with a full output. */
		if (!used && ev == WS_EV_NONE && produced < cap)
			abort();
		pos += used;
	}
	return 0;
}
