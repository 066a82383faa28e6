/* SPDX-License-Identifier: Apache-2.0 */
/* Small dependency-free helpers shared by xapid, xe and the tests. */
#ifndef HALYARD_RPC_UTIL_H
#define HALYARD_RPC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh random (v4) UUID in 8-4-4-4-12 form. buf >= 37 bytes. */
void hx_uuid(char *buf);
/* "OpaqueRef:<uuid4>" (heap, caller frees). */
char *hx_new_ref(void);
#define HX_NULL_REF "OpaqueRef:NULL"
bool hx_is_uuid(const char *s);
/* True for "OpaqueRef:<anything non-empty>" (XAPI treats refs as opaque). */
bool hx_is_ref(const char *s);
/* True for "", NULL and "OpaqueRef:NULL". */
bool hx_is_null_ref(const char *s);

/*
 * True when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)
 * and every code point is legal in XML 1.0 (tab, LF, CR, >= 0x20 except
 * U+FFFE/U+FFFF). XAPI rejects other strings with INVALID_VALUE.
 */
bool hx_valid_xml_utf8(const char *s, size_t n);

/* Appends the bytes that base64 text s[0..n) encodes to out (whitespace
 * ignored, '=' padding optional). 0, or -EINVAL on bad input. */
struct strbuf;
int hx_base64_decode(const char *s, size_t n, struct strbuf *out);

/* Wall clock as seconds since the epoch / monotonic milliseconds. */
int64_t hx_now(void);
int64_t hx_mono_ms(void);

#endif
