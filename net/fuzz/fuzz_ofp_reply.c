/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: what an OpenFlow switch sends back, as a byte stream
 * through the client's framing (ofp_frame) and reply parser (ofp_rx_msg),
 * exactly as ofp_transact reads it. The first input byte chooses whether
 * the HELLO was already negotiated and which xid's errors are expected.
 * Checks the parser's promises: it never reads past a message, a refused
 * message stops the conversation, an echo reply is one whole message with
 * the request's xid, the names of whatever error arrived are printable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	uint32_t ign = data[0] >> 1;
	ofp_rx st = { .version = data[0] & 1 ? OFP_VERSION : 0, .barrier_xid = 2,
		      .ignore = &ign, .n_ignore = 1 };
	data++;
	size--;
	size_t off = 0;
	while (off < size) {
		ofp_hdr h;
		int n = ofp_frame(data + off, size - off, &h);
		if (n <= 0)
			break;
		/* an exact-size copy so that ASan sees a read past the end */
		uint8_t *m = malloc((size_t)n);
		if (!m)
			abort();
		memcpy(m, data + off, (size_t)n);
		ofp_buf out = { 0 };
		int r = ofp_rx_msg(&st, m, (size_t)n, &out);
		if (out.len) {
			ofp_hdr eh;
			if (r || ofp_frame(out.p, out.len, &eh) != (int)out.len ||
			    eh.type != OFPT_ECHO_REPLY || eh.xid != h.xid || eh.length != h.length)
				abort();
		}
		ofp_buf_free(&out);
		free(m);
		if (r)
			break;
		off += (size_t)n;
	}
	if (st.failed) {
		char buf[16];
		if (!ofp_err_type_name(st.err_type) ||
		    !ofp_err_code_name(st.err_type, st.err_code, buf, sizeof(buf)) ||
		    !ofp_type_name(st.err_req_type) || st.err_xid == ign)
			abort();
	}
	return 0;
}
