/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flattened device tree reader (DTSpec v0.3 structure block).  Offsets are
 * relative to the structure block; every read is bounds-checked.
 */
#include <hv/fdt.h>

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

int fdt_init(struct fdt *f, const void *blob, size_t avail)
{
    const uint8_t *b = blob;
    if (!blob || avail < 40 || fdt32(b) != FDT_MAGIC)
        return -EINVAL;
    uint32_t total = fdt32(b + 4);
    uint32_t off_struct = fdt32(b + 8), off_strings = fdt32(b + 12);
    uint32_t version = fdt32(b + 20);
    uint32_t size_strings = fdt32(b + 32), size_struct = fdt32(b + 36);
    if (total > avail || version < 16 || off_struct > total || size_struct > total - off_struct ||
        off_strings > total || size_strings > total - off_strings || (off_struct & 3))
        return -EINVAL;
    f->blob = b;
    f->size = total;
    f->off_struct = off_struct;
    f->size_struct = size_struct;
    f->off_strings = off_strings;
    f->size_strings = size_strings;
    return 0;
}

static bool tok_at(const struct fdt *f, int off, uint32_t *tok)
{
    if (off < 0 || (uint32_t)off + 4 > f->size_struct)
        return false;
    *tok = fdt32(f->blob + f->off_struct + off);
    return true;
}

/* Length of the NUL-terminated string at off in the struct block, or -1. */
static int str_len_at(const struct fdt *f, int off)
{
    for (uint32_t i = (uint32_t)off; i < f->size_struct; i++)
        if (f->blob[f->off_struct + i] == '\0')
            return (int)(i - (uint32_t)off);
    return -1;
}

/* Offset just after the token at off (skipping name/property payload), or -1. */
static int skip_token(const struct fdt *f, int off, uint32_t *tok_out)
{
    uint32_t tok;
    if (!tok_at(f, off, &tok))
        return -1;
    *tok_out = tok;
    switch (tok) {
    case FDT_BEGIN_NODE: {
        int len = str_len_at(f, off + 4);
        if (len < 0)
            return -1;
        return (int)ALIGN_UP((uint32_t)(off + 4 + len + 1), 4u);
    }
    case FDT_PROP: {
        uint32_t len;
        if (!tok_at(f, off + 4, &len) || len > f->size_struct)
            return -1;
        uint32_t next = ALIGN_UP((uint32_t)off + 12 + len, 4u);
        return next > f->size_struct ? -1 : (int)next;
    }
    case FDT_END_NODE:
    case FDT_NOP:
        return off + 4;
    case FDT_END:
        return off + 4;
    default:
        return -1;
    }
}

int fdt_next_node(const struct fdt *f, int node, int *depth)
{
    int off = 0;
    uint32_t tok;
    if (node >= 0) {
        off = skip_token(f, node, &tok);
        if (off < 0 || tok != FDT_BEGIN_NODE)
            return -ENOENT;
    }
    for (;;) {
        int next = skip_token(f, off, &tok);
        if (next < 0 || tok == FDT_END)
            return -ENOENT;
        if (tok == FDT_BEGIN_NODE) {
            if (depth && node >= 0)
                (*depth)++;
            else if (depth)
                *depth = 0;
            return off;
        }
        /* Relative to the start node: leaving it makes depth negative. */
        if (tok == FDT_END_NODE && depth)
            (*depth)--;
        off = next;
    }
}

/* Offset just past node's FDT_END_NODE, or -1. */
static int subtree_end(const struct fdt *f, int node)
{
    int off = node, depth = 0;
    uint32_t tok;
    for (;;) {
        int next = skip_token(f, off, &tok);
        if (next < 0 || tok == FDT_END)
            return -1;
        if (tok == FDT_BEGIN_NODE)
            depth++;
        else if (tok == FDT_END_NODE && --depth == 0)
            return next;
        off = next;
    }
}

/* The first FDT_BEGIN_NODE at or after off at the same level, skipping props. */
static int node_at_level(const struct fdt *f, int off)
{
    uint32_t tok;
    for (;;) {
        int next = skip_token(f, off, &tok);
        if (next < 0)
            return -ENOENT;
        if (tok == FDT_BEGIN_NODE)
            return off;
        if (tok != FDT_PROP && tok != FDT_NOP)
            return -ENOENT;
        off = next;
    }
}

int fdt_first_child(const struct fdt *f, int node)
{
    uint32_t tok;
    int off = skip_token(f, node, &tok);
    if (off < 0 || tok != FDT_BEGIN_NODE)
        return -ENOENT;
    return node_at_level(f, off);
}

int fdt_next_sibling(const struct fdt *f, int node)
{
    int off = subtree_end(f, node);
    return off < 0 ? -ENOENT : node_at_level(f, off);
}

const char *fdt_node_name(const struct fdt *f, int node)
{
    uint32_t tok;
    if (!tok_at(f, node, &tok) || tok != FDT_BEGIN_NODE || str_len_at(f, node + 4) < 0)
        return NULL;
    return (const char *)f->blob + f->off_struct + node + 4;
}

/* Matches "name" against "name" or "name@unit" when the component has no '@'. */
static bool name_matches(const char *node, const char *comp, size_t len)
{
    if (strncmp(node, comp, len) != 0)
        return false;
    if (node[len] == '\0')
        return true;
    for (size_t i = 0; i < len; i++)
        if (comp[i] == '@')
            return false;
    return node[len] == '@';
}

int fdt_path_offset(const struct fdt *f, const char *path)
{
    int depth;
    int node = fdt_next_node(f, -1, &depth);
    if (node < 0 || path[0] != '/')
        return -ENOENT;
    const char *p = path + 1;
    while (*p) {
        const char *end = p;
        while (*end && *end != '/')
            end++;
        size_t len = (size_t)(end - p);
        int child = fdt_first_child(f, node);
        while (child >= 0) {
            const char *name = fdt_node_name(f, child);
            if (name && name_matches(name, p, len))
                break;
            child = fdt_next_sibling(f, child);
        }
        if (child < 0)
            return -ENOENT;
        node = child;
        p = *end ? end + 1 : end;
    }
    return node;
}

int fdt_parent(const struct fdt *f, int node)
{
    int depth = 0, off = -1, stack[32];
    for (;;) {
        off = fdt_next_node(f, off, &depth);
        if (off < 0 || depth < 0 || depth >= 32)
            return -ENOENT;   /* depth is relative to the root here */
        stack[depth] = off;
        if (off == node)
            return depth == 0 ? -ENOENT : stack[depth - 1];
    }
}

const void *fdt_getprop(const struct fdt *f, int node, const char *name, uint32_t *lenp)
{
    uint32_t tok;
    int off = skip_token(f, node, &tok);
    if (off < 0 || tok != FDT_BEGIN_NODE)
        return NULL;
    for (;;) {
        int next = skip_token(f, off, &tok);
        if (next < 0 || tok == FDT_BEGIN_NODE || tok == FDT_END_NODE || tok == FDT_END)
            return NULL;
        if (tok == FDT_PROP) {
            uint32_t len = fdt32(f->blob + f->off_struct + off + 4);
            uint32_t nameoff = fdt32(f->blob + f->off_struct + off + 8);
            if (nameoff < f->size_strings) {
                const char *pn = (const char *)f->blob + f->off_strings + nameoff;
                size_t room = f->size_strings - nameoff;
                size_t want = strlen(name) + 1;
                if (want <= room && memcmp(pn, name, want) == 0) {
                    if (lenp)
                        *lenp = len;
                    return f->blob + f->off_struct + off + 12;
                }
            }
        }
        off = next;
    }
}

bool fdt_is_compatible(const struct fdt *f, int node, const char *compat)
{
    uint32_t len;
    const char *p = fdt_getprop(f, node, "compatible", &len);
    if (!p)
        return false;
    size_t want = strlen(compat) + 1;
    /* compatible is a list of NUL-terminated strings. */
    for (uint32_t i = 0; i < len;) {
        size_t l = 0;
        while (i + l < len && p[i + l])
            l++;
        if (l + 1 == want && memcmp(p + i, compat, l) == 0)
            return true;
        i += (uint32_t)l + 1;
    }
    return false;
}

int fdt_node_by_compatible(const struct fdt *f, int from, const char *compat)
{
    int depth = 0;
    for (int off = fdt_next_node(f, from, &depth); off >= 0; off = fdt_next_node(f, off, &depth))
        if (fdt_is_compatible(f, off, compat))
            return off;
    return -ENOENT;
}

uint64_t fdt_read_cells(const uint8_t **p, int ncells)
{
    uint64_t v = 0;
    for (int i = 0; i < ncells; i++) {
        v = (v << 32) | fdt32(*p);
        *p += 4;
    }
    return v;
}

void fdt_reg_cells(const struct fdt *f, int node, int *ac, int *sc)
{
    int parent = fdt_parent(f, node);
    *ac = 2;
    *sc = 1;
    if (parent < 0)
        return;
    *ac = (int)fdt_get_u(f, parent, "#address-cells", 2);
    *sc = (int)fdt_get_u(f, parent, "#size-cells", 1);
}

int fdt_get_reg(const struct fdt *f, int node, int idx, uint64_t *addr, uint64_t *size)
{
    int ac, sc;
    uint32_t len;
    fdt_reg_cells(f, node, &ac, &sc);
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
        return -EINVAL;
    const uint8_t *p = fdt_getprop(f, node, "reg", &len);
    uint32_t stride = (uint32_t)(ac + sc) * 4;
    if (!p || idx < 0 || (uint64_t)(idx + 1) * stride > len)
        return -ENOENT;
    p += (uint32_t)idx * stride;
    *addr = fdt_read_cells(&p, ac);
    uint64_t s = fdt_read_cells(&p, sc);
    if (size)
        *size = s;
    return 0;
}

uint64_t fdt_get_u(const struct fdt *f, int node, const char *name, uint64_t dflt)
{
    uint32_t len;
    const uint8_t *p = fdt_getprop(f, node, name, &len);
    if (!p)
        return dflt;
    if (len == 4)
        return fdt32(p);
    if (len == 8)
        return fdt_read_cells(&p, 2);
    return dflt;
}
