/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the codecs inside libhxrpc. Not part of the public
 * contract: other areas must not include this header.
 */
#ifndef HALYARD_RPC_INTERNAL_H
#define HALYARD_RPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "value.h"

/* Maximum nesting of arrays/structs accepted by both parsers. */
#define HX_MAX_DEPTH 64

/*
 * Length (1..4) of the UTF-8 character at s[0..n), or 0 when it is not
 * valid strict UTF-8 (or, with xml set, not an XML 1.0 Char).
 */
size_t hx_utf8_next(const char *s, size_t n, bool xml);
/* A heap copy of s[0..n) with every byte that does not start a valid
 * character (XML-legal if xml) replaced by U+FFFD; *outlen its length. */
char *hx_utf8_sanitize(const char *s, size_t n, bool xml, size_t *outlen);

/* Appends s[0..n) as a quoted JSON string (escapes ", \ and C0 controls). */
void hx_json_put_string(strbuf *b, const char *s, size_t n);

/*
 * Appends v as compact JSON. Integers are integer literals, floats always
 * carry a '.' or an exponent (shortest text that reads back exactly;
 * non-finite floats, which JSON cannot carry, become null), datetimes are
 * strings in XAPI form, XV_NIL is null. With debug set, datetimes are
 * written as dt"…" so that test output tells them apart from strings.
 */
void hx_json_put_value(strbuf *b, const xv *v, bool debug);

/*
 * Number text in the C locale whatever the process's locale is (xe may
 * call setlocale). hx_fmt_double formats with "%.*g". hx_parse_double reads
 * the whole of s[0..n) (no surrounding blanks) as a decimal number, also
 * "nan"/"inf"/"infinity" with an optional sign; hex floats are refused.
 * hx_parse_int64 reads [+-]digits, refusing overflow. Both return false on
 * bad text.
 */
void hx_fmt_double(char *buf, size_t size, int prec, double f);
bool hx_parse_double(const char *s, size_t n, double *out);
bool hx_parse_int64(const char *s, size_t n, int64_t *out);

/*
 * Makes keys unique after a run of xv_struct_append() with untrusted keys,
 * with the result xv_struct_set() would have given: each key stays at its
 * first position and takes its last value. O(n log n).
 */
void hx_struct_dedupe(xv *st);

#endif
