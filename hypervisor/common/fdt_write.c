/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FDT writer.  The structure block grows from the start of the buffer past
 * a 40-byte header and an empty reservation map; the strings grow down from
 * the end of the buffer and are moved into place by fdt_finish.
 */
#include <hv/fdt.h>

#define HDR_SIZE 40
#define RSV_SIZE 16
#define STRUCT_OFF (HDR_SIZE + RSV_SIZE)
#define STRINGS_MAX 1024

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void fdt_begin(struct fdt_writer *w, void *buf, size_t size)
{
    w->buf = buf;
    w->size = size;
    w->struct_len = 0;
    w->strings_len = 0;
    w->depth = 0;
    w->err = 0;
    if (size < STRUCT_OFF + STRINGS_MAX + 64) {
        w->err = -ENOSPC;
        w->strings = NULL;
        return;
    }
    w->strings = (uint8_t *)buf + size - STRINGS_MAX;
    memset(buf, 0, STRUCT_OFF);
}

static uint8_t *reserve(struct fdt_writer *w, size_t n)
{
    size_t room = w->size - STRINGS_MAX - STRUCT_OFF;
    if (w->err || n > room || w->struct_len > room - n) {
        w->err = -ENOSPC;
        return NULL;
    }
    uint8_t *p = w->buf + STRUCT_OFF + w->struct_len;
    w->struct_len += n;
    return p;
}

static void token(struct fdt_writer *w, uint32_t t)
{
    uint8_t *p = reserve(w, 4);
    if (p)
        put_be32(p, t);
}

/* Appends data padded to 4 bytes. */
static void data(struct fdt_writer *w, const void *d, size_t n)
{
    size_t padded = ALIGN_UP(n, (size_t)4);
    uint8_t *p = reserve(w, padded);
    if (!p)
        return;
    memcpy(p, d, n);
    memset(p + n, 0, padded - n);
}

static uint32_t string_offset(struct fdt_writer *w, const char *name)
{
    size_t n = strlen(name) + 1;
    for (size_t i = 0; i < w->strings_len; i += strlen((char *)w->strings + i) + 1)
        if (!strcmp((char *)w->strings + i, name))
            return (uint32_t)i;
    if (w->strings_len + n > STRINGS_MAX) {
        w->err = -ENOSPC;
        return 0;
    }
    memcpy(w->strings + w->strings_len, name, n);
    w->strings_len += n;
    return (uint32_t)(w->strings_len - n);
}

void fdt_begin_node(struct fdt_writer *w, const char *name)
{
    token(w, 1);
    data(w, name, strlen(name) + 1);
    w->depth++;
}

void fdt_end_node(struct fdt_writer *w)
{
    token(w, 2);
    if (--w->depth < 0)
        w->err = -EINVAL;
}

void fdt_prop(struct fdt_writer *w, const char *name, const void *val, uint32_t len)
{
    if (w->err)
        return;
    uint32_t off = string_offset(w, name);
    token(w, 3);
    token(w, len);
    token(w, off);
    data(w, val, len);
}

void fdt_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, unsigned n)
{
    uint8_t tmp[64];
    if (n > sizeof(tmp) / 4) {
        w->err = -EINVAL;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        put_be32(tmp + 4 * i, cells[i]);
    fdt_prop(w, name, tmp, 4 * n);
}

void fdt_prop_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
    fdt_prop_cells(w, name, &v, 1);
}

void fdt_prop_str(struct fdt_writer *w, const char *name, const char *s)
{
    fdt_prop(w, name, s, (uint32_t)strlen(s) + 1);
}

void fdt_prop_reg64(struct fdt_writer *w, const uint64_t *pairs, unsigned npairs)
{
    uint32_t cells[16];
    if (npairs > 4) {
        w->err = -EINVAL;
        return;
    }
    for (unsigned i = 0; i < 2 * npairs; i++) {
        cells[2 * i] = (uint32_t)(pairs[i] >> 32);
        cells[2 * i + 1] = (uint32_t)pairs[i];
    }
    fdt_prop_cells(w, "reg", cells, 4 * npairs);
}

int fdt_finish(struct fdt_writer *w)
{
    token(w, 9);
    if (!w->err && w->depth != 0)
        w->err = -EINVAL;
    if (w->err)
        return w->err;
    size_t off_strings = STRUCT_OFF + w->struct_len;
    size_t total = off_strings + w->strings_len;
    /* The strings sit at the buffer's end; the struct block ends before them. */
    memmove(w->buf + off_strings, w->strings, w->strings_len);
    uint8_t *h = w->buf;
    put_be32(h + 0, 0xd00dfeed);
    put_be32(h + 4, (uint32_t)total);
    put_be32(h + 8, STRUCT_OFF);
    put_be32(h + 12, (uint32_t)off_strings);
    put_be32(h + 16, HDR_SIZE);
    put_be32(h + 20, 17);
    put_be32(h + 24, 16);
    put_be32(h + 28, 0);
    put_be32(h + 32, (uint32_t)w->strings_len);
    put_be32(h + 36, (uint32_t)w->struct_len);
    memset(h + HDR_SIZE, 0, RSV_SIZE);
    return (int)total;
}
