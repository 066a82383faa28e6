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

/*
 * The JSON reader (jsonparse.c): strict RFC 8259 text (no comments,
 * trailing commas, NaN/Infinity, leading zeros or '+'; only blanks
 * " \t\r\n" around) read straight into values in one pass. s[0..n) need
 * not be NUL-terminated. Integers without fraction or exponent must fit
 * int64, other numbers are doubles read in the C locale; strings must be
 * valid UTF-8 without raw control characters, unpaired surrogate escapes
 * or \u0000; null is XV_NIL. Of duplicate object keys the first position
 * keeps the last value (as xv_struct_set()).
 *
 * Those are hard errors: reading stops, err says what and err_at where.
 * The value rules (strings and keys legal in XML, finite numbers,
 * containers at most HX_MAX_DEPTH deep counted from depth rule_base) are
 * only recorded (the first breach in rule; hx_jr_rule() gives the verdict),
 * because JSON-RPC applies them to the params/result member and not to the
 * rest of the envelope. Values deeper than HX_MAX_DEPTH + 2 (counted from
 * 0) are a hard error. Reset rule and dropped before each value whose
 * rules the caller wants on their own.
 *
 * Typical use: hx_json_parse(). The JSON-RPC codec walks the top-level
 * object itself: hx_jr_object_open, then hx_jr_member and hx_jr_value per
 * member, then hx_jr_end.
 */
typedef struct hx_jreader {
	const char *s;
	size_t n, pos;
	const char *err; /* first hard error (static text), NULL if none */
	size_t err_at;
	const char *rule; /* first breach of the value rules, NULL if none */
	size_t rule_at;
	int rule_base;
	bool dropped; /* values were dropped for duplicate keys */
	/* scratch stacks shared by all the containers being read */
	xv **vals;
	size_t nvals, capvals;
	xv_member *mems;
	size_t *klen; /* key lengths, parallel to mems */
	size_t nmems, capmems;
	struct hx_jslot {
		uint32_t idx; /* member index + 1, 0 for an empty slot */
		uint32_t hv;  /* the key's hash, checked before the key */
	} *hash; /* duplicate-key detection */
	size_t caphash;
} hx_jreader;

void hx_jr_init(hx_jreader *r, const char *s, size_t n);
/* Frees the scratch and whatever a failed read left on it. */
void hx_jr_clear(hx_jreader *r);
/* Skips blanks; the byte there, or -1 at the end of the text. */
int hx_jr_peek(hx_jreader *r);
/* The value at r->pos (a new value owned by the caller; depth is its
 * nesting, 0 for a top-level value), or NULL after a hard error. */
xv *hx_jr_value(hx_jreader *r, int depth);
/* Consumes the '{' of an object whose members the caller reads. */
bool hx_jr_object_open(hx_jreader *r);
/* Reads the next member's key (first: right after the '{') and its ':';
 * 1 with *key (heap, *klen bytes), 0 at the closing '}', -1 on error. */
int hx_jr_member(hx_jreader *r, bool first, char **key, size_t *klen);
/* True when only blanks remain; otherwise a hard error. */
bool hx_jr_end(hx_jreader *r);
/* The value rule that v, just read at depth, breaches, or NULL. Usually
 * r->rule; but when reading dropped a duplicate key's value (r->dropped),
 * that may have been where the breach was, and v itself is checked. */
const char *hx_jr_rule(const hx_jreader *r, const xv *v, int depth);
/* The error as a message (heap): the hard error, else the rule breached. */
char *hx_jr_message(const hx_jreader *r);

/* A whole JSON text s[0..n) as one value, value rules enforced. 0 and
 * *out, or -EINVAL with *errmsg (heap; if errmsg is not NULL). */
int hx_json_parse(const char *s, size_t n, xv **out, char **errmsg);

#endif
