/* SPDX-License-Identifier: Apache-2.0 */
/* A growable byte buffer; always NUL-terminated. Aborts on OOM. */
#ifndef HALYARD_RPC_STRBUF_H
#define HALYARD_RPC_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
	char *s;
	size_t len, cap;
} strbuf;

#define STRBUF_INIT { 0 }

void sb_putn(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_putc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with XML escaping of & < > " (and \r as &#13;). */
void sb_put_xml_escaped(strbuf *b, const char *s, size_t n);
/* Returns the heap string (caller frees) and resets b. Never NULL. */
char *sb_steal(strbuf *b, size_t *len);
void sb_free(strbuf *b);

#endif
