/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DTB parser: builds blobs with a small writer (the same shape QEMU's virt
 * tree has: /cpus with a cpu-map before the cpu nodes, /chosen with
 * dom0less domain nodes) and checks lookups, and that corrupt blobs are
 * refused instead of read out of bounds.
 */
#include "harness.h"
#include <hv/fdt.h>

static uint8_t structs[4096], strings[1024], blob[8192];
static size_t slen, strl;

static void put32(uint32_t v)
{
    structs[slen++] = (uint8_t)(v >> 24);
    structs[slen++] = (uint8_t)(v >> 16);
    structs[slen++] = (uint8_t)(v >> 8);
    structs[slen++] = (uint8_t)v;
}

static void begin(const char *name)
{
    put32(1);
    size_t n = strlen(name) + 1;
    memcpy(structs + slen, name, n);
    slen += n;
    while (slen & 3)
        structs[slen++] = 0;
}

static void end(void)
{
    put32(2);
}

static uint32_t str_off(const char *name)
{
    for (size_t i = 0; i < strl; i += strlen((char *)strings + i) + 1)
        if (!strcmp((char *)strings + i, name))
            return (uint32_t)i;
    uint32_t off = (uint32_t)strl;
    memcpy(strings + strl, name, strlen(name) + 1);
    strl += strlen(name) + 1;
    return off;
}

static void prop(const char *name, const void *val, uint32_t len)
{
    put32(3);
    put32(len);
    put32(str_off(name));
    memcpy(structs + slen, val, len);
    slen += len;
    while (slen & 3)
        structs[slen++] = 0;
}

static void prop_cells(const char *name, int n, ...)
{
    uint8_t buf[64];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        uint32_t v = va_arg(ap, uint32_t);
        buf[4 * i] = (uint8_t)(v >> 24);
        buf[4 * i + 1] = (uint8_t)(v >> 16);
        buf[4 * i + 2] = (uint8_t)(v >> 8);
        buf[4 * i + 3] = (uint8_t)v;
    }
    va_end(ap);
    prop(name, buf, (uint32_t)(4 * n));
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t finish_blob(void)
{
    put32(9);
    uint32_t off_rsv = 40, off_struct = 56, off_strings = (uint32_t)(off_struct + slen);
    size_t total = off_strings + strl;
    memset(blob, 0, sizeof(blob));
    be32(blob, 0xd00dfeed);
    be32(blob + 4, (uint32_t)total);
    be32(blob + 8, off_struct);
    be32(blob + 12, off_strings);
    be32(blob + 16, off_rsv);
    be32(blob + 20, 17);
    be32(blob + 24, 16);
    be32(blob + 32, (uint32_t)strl);
    be32(blob + 36, (uint32_t)slen);
    memcpy(blob + off_struct, structs, slen);
    memcpy(blob + off_strings, strings, strl);
    return total;
}

static size_t build_tree(void)
{
    slen = strl = 0;
    begin("");
    prop_cells("#address-cells", 1, 2);
    prop_cells("#size-cells", 1, 2);
    begin("memory@40000000");
    prop("device_type", "memory", 7);
    prop_cells("reg", 4, 0, 0x40000000, 0, 0x10000000);
    end();
    begin("cpus");
    prop_cells("#address-cells", 1, 1);
    prop_cells("#size-cells", 1, 0);
    begin("cpu-map");
    begin("socket0");
    end();
    end();
    begin("cpu@0");
    prop("device_type", "cpu", 4);
    prop_cells("reg", 1, 0);
    end();
    begin("cpu@1");
    prop("device_type", "cpu", 4);
    prop_cells("reg", 1, 1);
    end();
    end();
    begin("intc@8000000");
    prop("compatible", "arm,gic-v3", 11);
    prop_cells("reg", 8, 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0xf60000);
    end();
    begin("chosen");
    begin("domU0");
    prop("compatible", "xen,domain", 11);
    prop_cells("#address-cells", 1, 2);
    prop_cells("#size-cells", 1, 2);
    prop_cells("memory", 2, 0, 8192);
    prop_cells("cpus", 1, 2);
    begin("module@44000000");
    prop("compatible", "multiboot,kernel\0multiboot,module", 34);
    prop_cells("reg", 4, 0, 0x44000000, 0, 0x2000);
    end();
    end();
    end();
    end();
    return finish_blob();
}

int main(void)
{
    struct fdt f;
    size_t total = build_tree();
    printf("fdt: parser over a %zu-byte blob\n", total);
    CHECK(fdt_init(&f, blob, total) == 0, "valid blob accepted");
    uint64_t a = 0, s = 0;
    int mem = fdt_path_offset(&f, "/memory");
    CHECK(mem >= 0 && fdt_get_reg(&f, mem, 0, &a, &s) == 0 && a == 0x40000000 && s == 0x10000000,
          "/memory (unit address omitted) reg = 0x40000000 + 256 MiB");
    int cpus = fdt_path_offset(&f, "/cpus");
    int n = 0;
    uint64_t ids[4];
    for (int c = fdt_first_child(&f, cpus); c >= 0; c = fdt_next_sibling(&f, c)) {
        const char *t = fdt_getprop(&f, c, "device_type", NULL);
        if (t && !strcmp(t, "cpu") && n < 4 && fdt_get_reg(&f, c, 0, &ids[n], NULL) == 0)
            n++;
    }
    CHECK(n == 2 && ids[0] == 0 && ids[1] == 1, "two CPUs found past the cpu-map subtree (1-cell reg)");
    int gic = fdt_node_by_compatible(&f, -1, "arm,gic-v3");
    CHECK(gic >= 0 && fdt_get_reg(&f, gic, 1, &a, &s) == 0 && a == 0x080a0000 && s == 0xf60000,
          "GIC found by compatible; second reg entry is the redistributors");
    CHECK(fdt_get_reg(&f, gic, 2, &a, &s) == -ENOENT, "reg index past the end -> -ENOENT");
    int dom = fdt_path_offset(&f, "/chosen/domU0");
    CHECK(dom >= 0 && fdt_is_compatible(&f, dom, "xen,domain"), "/chosen/domU0 is a xen,domain");
    CHECK(fdt_get_u(&f, dom, "memory", 0) == 8192 && fdt_get_u(&f, dom, "cpus", 1) == 2 &&
              fdt_get_u(&f, dom, "halyard,weight", 256) == 256,
          "u64 memory, u32 cpus, default for a missing property");
    int mod = fdt_first_child(&f, dom);
    CHECK(mod >= 0 && fdt_is_compatible(&f, mod, "multiboot,kernel") &&
              fdt_is_compatible(&f, mod, "multiboot,module") && !fdt_is_compatible(&f, mod, "multiboot"),
          "compatible string lists match whole entries only");
    CHECK(fdt_get_reg(&f, mod, 0, &a, &s) == 0 && a == 0x44000000 && s == 0x2000,
          "module reg uses the domain node's cells");
    CHECK(fdt_parent(&f, mod) == dom, "parent of the module is the domain");
    CHECK(fdt_next_sibling(&f, mod) == -ENOENT, "module has no sibling");
    CHECK(fdt_path_offset(&f, "/nonexistent") == -ENOENT && fdt_path_offset(&f, "/chosen/domU1") == -ENOENT,
          "missing paths -> -ENOENT");

    uint8_t saved[8192];
    memcpy(saved, blob, sizeof(blob));
    blob[0] ^= 1;
    CHECK(fdt_init(&f, blob, total) == -EINVAL, "bad magic refused");
    memcpy(blob, saved, sizeof(blob));
    CHECK(fdt_init(&f, blob, total - 1) == -EINVAL, "blob larger than the buffer refused");
    be32(blob + 36, 0x7fffffff);
    CHECK(fdt_init(&f, blob, total) == -EINVAL, "struct block past the end refused");
    memcpy(blob, saved, sizeof(blob));
    be32(blob + 20, 3);
    CHECK(fdt_init(&f, blob, total) == -EINVAL, "version < 16 refused");
    memcpy(blob, saved, sizeof(blob));
    /* Corrupt a property length inside the structure block: lookups fail safely. */
    fdt_init(&f, blob, total);
    int m2 = fdt_path_offset(&f, "/memory");
    be32(blob + 56 + (size_t)m2 + 4 + 16 + 4, 0xfffffff0);   /* device_type's len */
    CHECK(fdt_getprop(&f, m2, "reg", NULL) == NULL, "oversized property length stops the walk");
    int steps = 0;
    for (int o = fdt_next_node(&f, -1, NULL); o >= 0 && steps < 100; o = fdt_next_node(&f, o, NULL))
        steps++;
    CHECK(steps < 100, "iteration over a corrupt tree terminates");

    /* The writer: a tree written with fdt_writer parses back identically. */
    static uint8_t out[4096];
    struct fdt_writer w;
    fdt_begin(&w, out, sizeof(out));
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 2);
    fdt_prop_u32(&w, "#size-cells", 2);
    fdt_begin_node(&w, "memory@40000000");
    uint64_t reg[2] = { 0x40000000, 0x800000 };
    fdt_prop_reg64(&w, reg, 1);
    fdt_end_node(&w);
    fdt_begin_node(&w, "chosen");
    fdt_prop_str(&w, "bootargs", "console=hvc0");
    fdt_end_node(&w);
    fdt_end_node(&w);
    int len = fdt_finish(&w);
    CHECK(len > 0 && fdt_init(&f, out, (size_t)len) == 0, "written blob (%d bytes) parses", len);
    mem = fdt_path_offset(&f, "/memory");
    CHECK(mem >= 0 && fdt_get_reg(&f, mem, 0, &a, &s) == 0 && a == 0x40000000 && s == 0x800000,
          "written reg reads back");
    const char *args = fdt_getprop(&f, fdt_path_offset(&f, "/chosen"), "bootargs", NULL);
    CHECK(args && !strcmp(args, "console=hvc0"), "written string reads back");
    fdt_begin(&w, out, 2048);
    fdt_begin_node(&w, "");
    for (int i = 0; i < 200; i++)
        fdt_prop_str(&w, "filler", "0123456789abcdef0123456789abcdef");
    fdt_end_node(&w);
    CHECK(fdt_finish(&w) == -ENOSPC, "overflowing the buffer -> -ENOSPC, nothing written past it");
    fdt_begin(&w, out, sizeof(out));
    fdt_begin_node(&w, "");
    CHECK(fdt_finish(&w) == -EINVAL, "unbalanced nodes -> -EINVAL");
    return harness_finish("fdt");
}
