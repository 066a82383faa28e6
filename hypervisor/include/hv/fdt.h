/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A read-only flattened device tree walker.  It never writes to the blob and
 * bounds-checks every offset against the header's totalsize, so a corrupt
 * DTB makes lookups fail instead of faulting.
 */
#ifndef HV_FDT_H
#define HV_FDT_H

#include <hv/lib.h>

struct fdt {
    const uint8_t *blob;
    uint32_t size;
    uint32_t off_struct, size_struct;
    uint32_t off_strings, size_strings;
};

/* Returns 0 or -EINVAL if the header is not a usable FDT (version >= 16). */
int fdt_init(struct fdt *f, const void *blob, size_t avail);

/*
 * Nodes are named by the offset of their FDT_BEGIN_NODE token.  Iteration
 * over the whole tree: fdt_next_node(f, -1, &depth) gives the root.
 * Returns the next node offset or -ENOENT at the end.
 */
int fdt_next_node(const struct fdt *f, int node, int *depth);
int fdt_first_child(const struct fdt *f, int node);
int fdt_next_sibling(const struct fdt *f, int node);
const char *fdt_node_name(const struct fdt *f, int node);
int fdt_path_offset(const struct fdt *f, const char *path);
int fdt_parent(const struct fdt *f, int node);

/* Property lookup: returns a pointer into the blob and its length. */
const void *fdt_getprop(const struct fdt *f, int node, const char *name, uint32_t *len);
bool fdt_is_compatible(const struct fdt *f, int node, const char *compat);
int fdt_node_by_compatible(const struct fdt *f, int from, const char *compat);
/* Reads a big-endian cell sequence of ncells (1 or 2) at *p, advancing it. */
uint64_t fdt_read_cells(const uint8_t **p, int ncells);
/* #address-cells/#size-cells governing node's reg (from its parent). */
void fdt_reg_cells(const struct fdt *f, int node, int *ac, int *sc);
/* The idx-th (addr,size) pair of node's reg; -ENOENT if absent. */
int fdt_get_reg(const struct fdt *f, int node, int idx, uint64_t *addr, uint64_t *size);
/* A u32 or u64 (1 or 2 cells) property, with a default when absent. */
uint64_t fdt_get_u(const struct fdt *f, int node, const char *name, uint64_t dflt);

/*
 * A sequential FDT writer into a caller-supplied buffer (no allocation):
 * nodes and properties in document order, then fdt_finish.  Any overflow
 * is remembered and reported by fdt_finish as -ENOSPC.
 */
struct fdt_writer {
    uint8_t *buf;
    size_t size;
    size_t struct_len;          /* bytes of structure block written */
    uint8_t *strings;           /* string table, kept at the buffer's end */
    size_t strings_len;
    int depth;
    int err;
};

void fdt_begin(struct fdt_writer *w, void *buf, size_t size);
void fdt_begin_node(struct fdt_writer *w, const char *name);
void fdt_end_node(struct fdt_writer *w);
void fdt_prop(struct fdt_writer *w, const char *name, const void *val, uint32_t len);
void fdt_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
void fdt_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, unsigned n);
void fdt_prop_str(struct fdt_writer *w, const char *name, const char *s);
/* reg with 2 address and 2 size cells per (addr, size) pair. */
void fdt_prop_reg64(struct fdt_writer *w, const uint64_t *pairs, unsigned npairs);
/* Lays out the header and blocks; returns the blob size or -ENOSPC/-EINVAL. */
int fdt_finish(struct fdt_writer *w);

static inline uint32_t fdt32(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

#endif
