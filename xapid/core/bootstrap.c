/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstrap_run: the objects a XAPI host always has. On the first start
 * (no pool record) it creates the pool, this host with its metrics and
 * CPUs, the control domain and the default templates; on every start it
 * refreshes the facts that change (addresses, memory, CPUs, versions,
 * boot time) and marks the control domain Running. Each step is one txn
 * and may be re-run: a crash between steps is repaired by the next start.
 *
 * The host uuid is generated once and kept in <state_dir>/host-uuid, so
 * that it survives a database restore or rebuild.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "api_ids.h"
#include "dispatch.h"
#include "hostinfo.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

#ifndef HALYARD_VERSION
#define HALYARD_VERSION "0.0.0"
#endif

#define MiB (1024 * 1024LL)
#define TEMPLATE_MEMORY (256 * MiB)

/* What the machine says about itself at this start. */
struct facts {
	char hostname[256];
	char address[INET_ADDRSTRLEN];
	hi_cpuinfo cpus;
	char *features;
	int64_t mem_total, mem_free;
	int64_t boot_time;
	char kernel[128];
};

/* The Xen featureset words XAPI prints in cpu_info "features" (CPUID
 * leaves 1, 0x80000001, 0xd:1, 7:0, 0x80000007, 0x80000008), or "". */
static char *cpu_features(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d, w[10] = { 0 };
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		w[0] = d;
		w[1] = c;
	}
	if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
		w[2] = d;
		w[3] = c;
	}
	if (__get_cpuid_count(0xd, 1, &a, &b, &c, &d))
		w[4] = a;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		w[5] = b;
		w[6] = c;
		w[9] = d;
	}
	if (__get_cpuid(0x80000007, &a, &b, &c, &d))
		w[7] = d;
	if (__get_cpuid(0x80000008, &a, &b, &c, &d))
		w[8] = b;
	return hx_asprintf("%08x-%08x-%08x-%08x-%08x-%08x-%08x-%08x-%08x-%08x", w[0], w[1], w[2],
			   w[3], w[4], w[5], w[6], w[7], w[8], w[9]);
#else
	return hx_strdup("");
#endif
}

/* The IPv4 address of the interface of the default route, or 127.0.0.1. */
static void primary_address(char *out, size_t size)
{
	snprintf(out, size, "127.0.0.1");
	char ifname[64];
	char *routes = ops_read_file("/proc/net/route", 1 << 20, NULL);
	int r = routes ? hi_default_route_iface(routes, ifname, sizeof(ifname)) : -ENOENT;
	free(routes);
	struct ifaddrs *ifs;
	if (r || getifaddrs(&ifs))
		return;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, ifname))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out,
			  (socklen_t)size);
		break;
	}
	freeifaddrs(ifs);
}

static int64_t boot_time(void)
{
	char *stat = ops_read_file("/proc/stat", 1 << 20, NULL);
	const char *p = stat ? strstr(stat, "\nbtime ") : NULL;
	int64_t t = p ? strtoll(p + 7, NULL, 10) : 0;
	free(stat);
	return t > 0 ? t : hx_now();
}

static xerr *gather(struct facts *f)
{
	memset(f, 0, sizeof(*f));
	if (gethostname(f->hostname, sizeof(f->hostname) - 1) || !*f->hostname)
		snprintf(f->hostname, sizeof(f->hostname), "localhost");
	primary_address(f->address, sizeof(f->address));
	char *txt = ops_read_file("/proc/cpuinfo", 16 << 20, NULL);
	int r = txt ? hi_parse_cpuinfo(txt, &f->cpus) : -errno;
	free(txt);
	if (r)
		return xerr_new("INTERNAL_ERROR", "cannot read /proc/cpuinfo", NULL);
	txt = ops_read_file("/proc/meminfo", 1 << 20, NULL);
	r = txt ? hi_parse_meminfo(txt, &f->mem_total, &f->mem_free) : -errno;
	free(txt);
	if (r) {
		hi_cpuinfo_clear(&f->cpus);
		return xerr_new("INTERNAL_ERROR", "cannot read /proc/meminfo", NULL);
	}
	f->features = cpu_features();
	f->boot_time = boot_time();
	struct utsname u;
	if (!uname(&u))
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	return NULL;
}

static void facts_clear(struct facts *f)
{
	hi_cpuinfo_clear(&f->cpus);
	free(f->features);
}

/* The persisted host uuid (generated and written durably the first time). */
static xerr *host_uuid(xapid *app, char uuid[37])
{
	char *path = hx_asprintf("%s/host-uuid", app->cfg.state_dir);
	char *txt = ops_read_file(path, 64, NULL);
	if (txt) {
		txt[strcspn(txt, " \r\n")] = '\0';
		bool ok = hx_is_uuid(txt);
		if (ok)
			snprintf(uuid, 37, "%s", txt);
		free(txt);
		if (ok) {
			free(path);
			return NULL;
		}
	}
	hx_uuid(uuid);
	char *tmp = hx_asprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err = fd < 0 ? errno : 0;
	if (!err) {
		char line[40];
		int n = snprintf(line, sizeof(line), "%s\n", uuid);
		if (write(fd, line, (size_t)n) != n || fsync(fd))
			err = errno ? errno : EIO;
		close(fd);
	}
	if (!err && rename(tmp, path))
		err = errno;
	free(tmp);
	xerr *e = err ? xerr_newf("INTERNAL_ERROR", "cannot write %s: %s", path, strerror(err)) :
			NULL;
	free(path);
	return e;
}

/* ---- records --------------------------------------------------------------- */

static xv *smap(const char *const *kv)
{
	xv *m = xv_struct();
	for (; kv && kv[0]; kv += 2)
		xv_struct_set(m, kv[0], xv_str(kv[1]));
	return m;
}

static xv *cpu_info_map(const struct facts *f)
{
	const hi_cpu *c = &f->cpus.cpus[0];
	xv *m = xv_struct();
	xv_struct_set(m, "cpu_count", xv_strf("%zu", f->cpus.n));
	xv_struct_set(m, "socket_count", xv_strf("%d", f->cpus.sockets));
	xv_struct_set(m, "vendor", xv_str(c->vendor));
	xv_struct_set(m, "speed", xv_strf("%.3f", c->mhz));
	xv_struct_set(m, "modelname", xv_str(c->modelname));
	xv_struct_set(m, "family", xv_strf("%d", c->family < 0 ? 0 : c->family));
	xv_struct_set(m, "model", xv_strf("%d", c->model < 0 ? 0 : c->model));
	xv_struct_set(m, "stepping", xv_str(c->stepping));
	xv_struct_set(m, "flags", xv_str(c->flags));
	xv_struct_set(m, "features", xv_str(f->features));
	return m;
}

static xv *software_version(const struct facts *f)
{
	xv *m = xv_struct();
	xv_struct_set(m, "product_brand", xv_str("Halyard"));
	xv_struct_set(m, "product_version", xv_str(HALYARD_VERSION));
	xv_struct_set(m, "product_version_text", xv_str(HALYARD_VERSION));
	xv_struct_set(m, "product_version_text_short", xv_str(HALYARD_VERSION));
	xv_struct_set(m, "platform_name", xv_str("Halyard"));
	xv_struct_set(m, "platform_version", xv_str(HALYARD_VERSION));
	xv_struct_set(m, "build_number", xv_str(HALYARD_VERSION));
	xv_struct_set(m, "xapi", xv_strf("%d.%d", api_version_major, api_version_minor));
	xv_struct_set(m, "xen", xv_str("n/a"));
	xv_struct_set(m, "linux", xv_str(f->kernel));
	xv_struct_set(m, "hostname", xv_str(f->hostname));
	xv_struct_set(m, "db_schema", xv_strf("%d.%d", api_schema_major, api_schema_minor));
#ifdef HALYARD_BUILD_DATE
	xv_struct_set(m, "date", xv_str(HALYARD_BUILD_DATE));
#endif
	return m;
}

/* What kinds of guests this host can run (qemu: HVM on its own arch).
 * The accelerator entry ("qemu-<accel>-…") belongs to xenops/accel.c,
 * which writes it when the probe's answer changes: it is kept. */
static xv *capabilities(txn *t, const char *host)
{
	xv *a = xv_array();
	xv *cur = obj_get(t, CLS_host, host, "capabilities");
	for (size_t i = 0; cur && cur->kind == XV_ARRAY && i < xv_len(cur); i++) {
		const char *c = xv_s(xv_array_get(cur, i));
		if (c && !strncmp(c, "qemu-", 5))
			xv_array_push(a, xv_str(c));
	}
	xv_free(cur);
#if defined(__x86_64__)
	xv_array_push(a, xv_str("hvm-3.0-x86_32"));
	xv_array_push(a, xv_str("hvm-3.0-x86_32p"));
	xv_array_push(a, xv_str("hvm-3.0-x86_64"));
#elif defined(__aarch64__)
	xv_array_push(a, xv_str("hvm-3.0-aarch64"));
#endif
	return a;
}

/* Host fields that follow the machine; set at creation and every start. */
static xerr *set_host_facts(txn *t, const char *host, const struct facts *f)
{
	xerr *e;
	if ((e = obj_set(t, CLS_host, host, "hostname", xv_str(f->hostname))) ||
	    (e = obj_set(t, CLS_host, host, "address", xv_str(f->address))) ||
	    (e = obj_set(t, CLS_host, host, "API_version_major", xv_int(api_version_major))) ||
	    (e = obj_set(t, CLS_host, host, "API_version_minor", xv_int(api_version_minor))) ||
	    (e = obj_set(t, CLS_host, host, "API_version_vendor", xv_str(api_version_vendor))) ||
	    (e = obj_set(t, CLS_host, host, "software_version", software_version(f))) ||
	    (e = obj_set(t, CLS_host, host, "enabled", xv_bool(true))) ||
	    (e = obj_set(t, CLS_host, host, "capabilities", capabilities(t, host))) ||
	    (e = obj_set(t, CLS_host, host, "cpu_info", cpu_info_map(f))) ||
	    (e = obj_set(t, CLS_host, host, "boot_free_mem", xv_int(f->mem_free))))
		return e;
	/* XenCenter derives uptimes from these two keys. */
	xv *oc = obj_get(t, CLS_host, host, "other_config");
	if (!oc || oc->kind != XV_STRUCT) {
		xv_free(oc);
		oc = xv_struct();
	}
	xv_struct_set(oc, "boot_time", xv_strf("%" PRId64 ".", f->boot_time));
	xv_struct_set(oc, "agent_start_time", xv_strf("%" PRId64 ".", hx_now()));
	return obj_set(t, CLS_host, host, "other_config", oc);
}

static xv *host_cpu_record(const char *host, const hi_cpu *c, const char *features)
{
	xv *r = xv_struct();
	xv_struct_set(r, "host", xv_str(host));
	xv_struct_set(r, "number", xv_int(c->number));
	xv_struct_set(r, "vendor", xv_str(c->vendor));
	xv_struct_set(r, "speed", xv_int((int64_t)(c->mhz + 0.5)));
	xv_struct_set(r, "modelname", xv_str(c->modelname));
	xv_struct_set(r, "family", xv_int(c->family < 0 ? 0 : c->family));
	xv_struct_set(r, "model", xv_int(c->model < 0 ? 0 : c->model));
	xv_struct_set(r, "stepping", xv_str(c->stepping));
	xv_struct_set(r, "flags", xv_str(c->flags));
	xv_struct_set(r, "features", xv_str(features));
	xv_struct_set(r, "utilisation", xv_float(0.0));
	return r;
}

/* Makes host_cpu rows of host match the CPUs: updated in place by
 * number (refs stay stable), extra rows destroyed, missing ones created. */
static xerr *sync_host_cpus(txn *t, const char *host, const struct facts *f)
{
	xv *all = NULL;
	xerr *e = store_get_all_records(t, CLS_host_cpu, &all);
	if (e)
		return e;
	bool *done = hx_calloc(f->cpus.n + 1, sizeof(bool));
	for (size_t i = 0; i < xv_len(all) && !e; i++) {
		const char *ref = all->u.st.m[i].key;
		const xv *rec = all->u.st.m[i].val;
		const char *h = xv_struct_str(rec, "host");
		if (!h || strcmp(h, host))
			continue;
		xv *num = xv_struct_get(rec, "number");
		size_t k;
		for (k = 0; k < f->cpus.n; k++)
			if (num && num->kind == XV_INT && num->u.i == f->cpus.cpus[k].number && !done[k])
				break;
		if (k == f->cpus.n) {
			e = store_destroy(t, CLS_host_cpu, ref);
			continue;
		}
		done[k] = true;
		xv *want = host_cpu_record(host, &f->cpus.cpus[k], f->features);
		for (size_t j = 0; j < want->u.st.n && !e; j++) {
			const xv *have = xv_struct_get(rec, want->u.st.m[j].key);
			if (have && xv_equal(have, want->u.st.m[j].val))
				continue;
			e = store_set_field(t, CLS_host_cpu, ref,
					    obj_fld(CLS_host_cpu, want->u.st.m[j].key),
					    want->u.st.m[j].val);
		}
		xv_free(want);
	}
	for (size_t k = 0; k < f->cpus.n && !e; k++)
		if (!done[k])
			e = obj_create(t, CLS_host_cpu,
				       host_cpu_record(host, &f->cpus.cpus[k], f->features), NULL);
	free(done);
	xv_free(all);
	return e;
}

static xv *vm_base(const char *name, int64_t mem, int64_t vcpus)
{
	xv *r = xv_struct();
	xv_struct_set(r, "name_label", xv_str(name));
	xv_struct_set(r, "user_version", xv_int(1));
	xv_struct_set(r, "memory_static_min", xv_int(mem));
	xv_struct_set(r, "memory_dynamic_min", xv_int(mem));
	xv_struct_set(r, "memory_dynamic_max", xv_int(mem));
	xv_struct_set(r, "memory_static_max", xv_int(mem));
	xv_struct_set(r, "memory_target", xv_int(mem));
	xv_struct_set(r, "VCPUs_max", xv_int(vcpus));
	xv_struct_set(r, "VCPUs_at_startup", xv_int(vcpus));
	xv_struct_set(r, "actions_after_shutdown", xv_str("destroy"));
	xv_struct_set(r, "actions_after_reboot", xv_str("restart"));
	xv_struct_set(r, "actions_after_crash", xv_str("restart"));
	return r;
}

static char *dom0_name(const struct facts *f)
{
	return hx_asprintf("Control domain on host: %s", f->hostname);
}

/* The control domain's fields that follow the machine. */
static xerr *set_dom0_facts(txn *t, const char *vm, const char *host, const struct facts *f)
{
	int64_t n = (int64_t)f->cpus.n;
	xerr *e;
	if ((e = obj_set(t, CLS_VM, vm, "power_state", xv_str("Running"))) ||
	    (e = obj_set(t, CLS_VM, vm, "resident_on", xv_str(host))) ||
	    (e = obj_set(t, CLS_VM, vm, "affinity", xv_str(host))) ||
	    (e = obj_set(t, CLS_VM, vm, "domid", xv_int(0))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_static_min", xv_int(f->mem_total))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_dynamic_min", xv_int(f->mem_total))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_dynamic_max", xv_int(f->mem_total))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_static_max", xv_int(f->mem_total))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_target", xv_int(f->mem_total))) ||
	    (e = obj_set(t, CLS_VM, vm, "VCPUs_max", xv_int(n))) ||
	    (e = obj_set(t, CLS_VM, vm, "VCPUs_at_startup", xv_int(n))))
		return e;
	/* The default name follows the hostname; a name the admin chose stays. */
	char *cur = obj_get_str(t, CLS_VM, vm, "name_label");
	if (!strncmp(cur, "Control domain on host: ", 24))
		e = obj_set(t, CLS_VM, vm, "name_label", xv_str_own(dom0_name(f)));
	free(cur);
	if (e)
		return e;
	char *metrics = obj_get_str(t, CLS_VM, vm, "metrics");
	if (store_exists(t, CLS_VM_metrics, metrics)) {
		if (!(e = obj_set(t, CLS_VM_metrics, metrics, "memory_actual", xv_int(f->mem_total))) &&
		    !(e = obj_set(t, CLS_VM_metrics, metrics, "VCPUs_number", xv_int(n))) &&
		    !(e = obj_set(t, CLS_VM_metrics, metrics, "start_time",
				  xv_datetime(f->boot_time))))
			e = obj_set(t, CLS_VM_metrics, metrics, "last_updated", xv_datetime(hx_now()));
	}
	free(metrics);
	return e;
}

static xerr *create_dom0(txn *t, const char *host, const struct facts *f, char **ref)
{
	xv *m = xv_struct();
	xv_struct_set(m, "memory_actual", xv_int(f->mem_total));
	xv_struct_set(m, "VCPUs_number", xv_int((int64_t)f->cpus.n));
	xv_struct_set(m, "start_time", xv_datetime(f->boot_time));
	xv_struct_set(m, "install_time", xv_datetime(hx_now()));
	xv_struct_set(m, "last_updated", xv_datetime(hx_now()));
	xv_struct_set(m, "current_domain_type", xv_str("pv"));
	char *metrics = NULL;
	xerr *e = obj_create(t, CLS_VM_metrics, m, &metrics);
	if (e)
		return e;
	char *name = dom0_name(f);
	xv *r = vm_base(name, f->mem_total, (int64_t)f->cpus.n);
	free(name);
	xv_struct_set(r, "is_control_domain", xv_bool(true));
	xv_struct_set(r, "is_a_template", xv_bool(false));
	xv_struct_set(r, "power_state", xv_str("Running"));
	xv_struct_set(r, "resident_on", xv_str(host));
	xv_struct_set(r, "affinity", xv_str(host));
	xv_struct_set(r, "domid", xv_int(0));
	/* XAPI's control domain is a PV domain; clients check for it. */
	xv_struct_set(r, "domain_type", xv_str("pv"));
	xv_struct_set(r, "metrics", xv_str_own(metrics));
	e = obj_create(t, CLS_VM, r, ref);
	if (!e)
		e = obj_set(t, CLS_host, host, "control_domain", xv_str(*ref));
	return e;
}

/* First start: metrics, host, CPUs, pool, control domain. */
static xerr *create_pool(txn *t, const char *uuid, const struct facts *f, char **host_out)
{
	xv *hm = xv_struct();
	xv_struct_set(hm, "memory_total", xv_int(f->mem_total));
	xv_struct_set(hm, "memory_free", xv_int(f->mem_free));
	xv_struct_set(hm, "live", xv_bool(true));
	xv_struct_set(hm, "last_updated", xv_datetime(hx_now()));
	char *metrics = NULL, *host = NULL, *dom0 = NULL;
	xerr *e = obj_create(t, CLS_host_metrics, hm, &metrics);
	if (e)
		return e;
	xv *h = xv_struct();
	xv_struct_set(h, "uuid", xv_str(uuid));
	xv_struct_set(h, "name_label", xv_str(f->hostname));
	xv_struct_set(h, "metrics", xv_str_own(metrics));
	xv_struct_set(h, "API_version_vendor_implementation", xv_struct());
	xv_struct_set(h, "other_config", xv_struct());
	if ((e = obj_create(t, CLS_host, h, &host)) || (e = set_host_facts(t, host, f)) ||
	    (e = sync_host_cpus(t, host, f)))
		goto out;
	xv *p = xv_struct();
	xv_struct_set(p, "name_label", xv_str(""));
	xv_struct_set(p, "master", xv_str(host));
	xv_struct_set(p, "default_SR", xv_str(HX_NULL_REF));
	xv_struct_set(p, "suspend_image_SR", xv_str(HX_NULL_REF));
	xv_struct_set(p, "crash_dump_SR", xv_str(HX_NULL_REF));
	xv_struct_set(p, "other_config", xv_struct());
	xv_struct_set(p, "cpu_info", cpu_info_map(f));
	if ((e = obj_create(t, CLS_pool, p, NULL)))
		goto out;
	e = create_dom0(t, host, f, &dom0);
out:
	free(dom0);
	if (e)
		free(host);
	else
		*host_out = host;
	return e;
}

/* ---- templates --------------------------------------------------------------- */

static const char *const install_disks =
	"<provision><disk device=\"0\" size=\"8589934592\" sr=\"\" bootable=\"true\" "
	"type=\"system\"/></provision>";

/* The limits clients read from recommendations (our own numbers). */
static const char *const recommendations =
	"<restrictions><restriction field=\"memory-static-max\" max=\"137438953472\"/>"
	"<restriction field=\"vcpus-max\" max=\"32\"/>"
	"<restriction property=\"number-of-vbds\" max=\"255\"/>"
	"<restriction property=\"number-of-vifs\" max=\"7\"/>"
	"<restriction field=\"has-vendor-device\" value=\"false\"/></restrictions>";

static xv *template_base(const char *name, const char *domain_type)
{
	xv *r = vm_base(name, TEMPLATE_MEMORY, 1);
	xv_struct_set(r, "is_a_template", xv_bool(true));
	xv_struct_set(r, "is_default_template", xv_bool(true));
	xv_struct_set(r, "power_state", xv_str("Halted"));
	xv_struct_set(r, "domain_type", xv_str(domain_type));
	xv_struct_set(r, "recommendations", xv_str(recommendations));
	xv_struct_set(r, "has_vendor_device", xv_bool(false));
	xv_struct_set(r, "HVM_shadow_multiplier", xv_float(1.0));
	return r;
}

static xv *template_other_media(void)
{
	xv *r = template_base("Other install media", "hvm");
	static const char *const boot[] = { "order", "dc", NULL };
	static const char *const platform[] = { "acpi", "1", "apic", "true", "pae", "true",
						"viridian", "false", "nx", "true",
						"device-model", "qemu-upstream-compat", NULL };
	const char *const oc[] = { "default_template", "true", "install-methods", "cdrom",
				   "disks", install_disks, NULL };
	xv_struct_set(r, "HVM_boot_policy", xv_str("BIOS order"));
	xv_struct_set(r, "HVM_boot_params", smap(boot));
	xv_struct_set(r, "platform", smap(platform));
	xv_struct_set(r, "other_config", smap(oc));
	return r;
}

static xv *template_pvh(void)
{
	xv *r = template_base("Linux direct kernel boot (PVH)", "pvh");
	static const char *const platform[] = { "acpi", "1", "apic", "true", "pae", "true",
						"nx", "true", NULL };
	static const char *const oc[] = { "default_template", "true", NULL };
	xv_struct_set(r, "HVM_boot_policy", xv_str(""));
	xv_struct_set(r, "PV_bootloader", xv_str(""));
	xv_struct_set(r, "PV_kernel", xv_str(""));
	xv_struct_set(r, "PV_ramdisk", xv_str(""));
	xv_struct_set(r, "PV_args", xv_str(""));
	xv_struct_set(r, "platform", smap(platform));
	xv_struct_set(r, "other_config", smap(oc));
	return r;
}

/* Creates each default template that has no default template of its
 * name (a deleted one comes back, as XAPI's do on restart). */
static xerr *ensure_templates(txn *t)
{
	xv *(*const makers[])(void) = { template_other_media, template_pvh };
	xerr *e = NULL;
	for (size_t i = 0; i < sizeof(makers) / sizeof(*makers) && !e; i++) {
		xv *rec = makers[i]();
		xv *found = NULL;
		e = store_find(t, CLS_VM, api_classes[CLS_VM].name_label_field,
			       xv_struct_get(rec, "name_label"), &found);
		bool have = false;
		for (size_t j = 0; !e && j < xv_len(found) && !have; j++) {
			xv *d = obj_get(t, CLS_VM, xv_s(xv_array_get(found, j)), "is_default_template");
			have = d && d->kind == XV_BOOL && d->u.b;
			xv_free(d);
		}
		xv_free(found);
		if (!e && !have)
			e = obj_create(t, CLS_VM, rec, NULL);
		else
			xv_free(rec);
	}
	return e;
}

/* ---- the steps --------------------------------------------------------------- */

typedef xerr *(*step_fn)(txn *t, xapid *app, const struct facts *f, void *arg);

static xerr *run_step(xapid *app, step_fn fn, const struct facts *f, void *arg)
{
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	if ((e = fn(t, app, f, arg))) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

struct found {
	char uuid[37];
	char *host, *pool, *dom0;
};

/* Finds (or on the first start creates) pool, host and control domain. */
static xerr *step_objects(txn *t, xapid *app, const struct facts *f, void *arg)
{
	struct found *fd = arg;
	xv *pools = NULL;
	xerr *e = store_get_all(t, CLS_pool, &pools);
	if (e)
		return e;
	free(fd->host);
	free(fd->pool);
	free(fd->dom0);
	fd->host = fd->pool = fd->dom0 = NULL;
	if (!xv_len(pools)) {
		xv_free(pools);
		if ((e = create_pool(t, fd->uuid, f, &fd->host)))
			return e;
		if ((e = store_get_all(t, CLS_pool, &pools)))
			return e;
	}
	fd->pool = hx_strdup(xv_s(xv_array_get(pools, 0)));
	xv_free(pools);
	free(fd->host); /* from create_pool: looked up again below */
	fd->host = store_ref_of_uuid(t, CLS_host, fd->uuid);
	if (!fd->host) {
		/* A database from elsewhere (restore): this host is its master. */
		char *master = obj_get_str(t, CLS_pool, fd->pool, "master");
		if (!store_exists(t, CLS_host, master)) {
			free(master);
			return xerr_new("INTERNAL_ERROR", "the pool has no usable master host", NULL);
		}
		fd->host = master;
	}
	char *dom0 = obj_get_str(t, CLS_host, fd->host, "control_domain");
	if (store_exists(t, CLS_VM, dom0)) {
		fd->dom0 = dom0;
	} else {
		free(dom0);
		if ((e = create_dom0(t, fd->host, f, &fd->dom0)))
			return e;
	}
	return obj_set(t, CLS_pool, fd->pool, "master", xv_str(fd->host));
}

static xerr *step_templates(txn *t, xapid *app, const struct facts *f, void *arg)
{
	return ensure_templates(t);
}

static xerr *step_roles(txn *t, xapid *app, const struct facts *f, void *arg)
{
	return roles_bootstrap(t);
}

/* Every start: the facts that change. */
static xerr *step_refresh(txn *t, xapid *app, const struct facts *f, void *arg)
{
	struct found *fd = arg;
	xerr *e;
	if ((e = set_host_facts(t, fd->host, f)) || (e = sync_host_cpus(t, fd->host, f)) ||
	    (e = set_dom0_facts(t, fd->dom0, fd->host, f)))
		return e;
	char *hm = obj_get_str(t, CLS_host, fd->host, "metrics");
	if (!store_exists(t, CLS_host_metrics, hm)) {
		free(hm);
		hm = NULL;
		xv *r = xv_struct();
		xv_struct_set(r, "memory_total", xv_int(f->mem_total));
		if ((e = obj_create(t, CLS_host_metrics, r, &hm)) ||
		    (e = obj_set(t, CLS_host, fd->host, "metrics", xv_str(hm)))) {
			free(hm);
			return e;
		}
	}
	if (!(e = obj_set(t, CLS_host_metrics, hm, "memory_total", xv_int(f->mem_total))) &&
	    !(e = obj_set(t, CLS_host_metrics, hm, "memory_free", xv_int(f->mem_free))) &&
	    !(e = obj_set(t, CLS_host_metrics, hm, "live", xv_bool(true))))
		e = obj_set(t, CLS_host_metrics, hm, "last_updated", xv_datetime(hx_now()));
	free(hm);
	if (!e)
		e = obj_set(t, CLS_pool, fd->pool, "cpu_info", cpu_info_map(f));
	return e;
}

xerr *bootstrap_run(xapid *app)
{
	struct facts f;
	struct found fd = { 0 };
	xerr *e = gather(&f);
	if (e)
		return e;
	if ((e = host_uuid(app, fd.uuid)))
		goto out;
	if ((e = run_step(app, step_objects, &f, &fd)) ||
	    (e = run_step(app, step_templates, &f, &fd)) ||
	    (e = run_step(app, step_roles, &f, &fd)) || (e = run_step(app, step_refresh, &f, &fd)))
		goto out;
	free(app->pool_ref);
	free(app->host_ref);
	free(app->host_uuid);
	free(app->dom0_ref);
	free(app->management_addr);
	app->pool_ref = fd.pool;
	app->host_ref = fd.host;
	app->dom0_ref = fd.dom0;
	fd.pool = fd.host = fd.dom0 = NULL;
	app->management_addr = hx_strdup(f.address);
	/* After a restore the host's uuid is the database's, not the file's. */
	txn *t;
	if (!(e = store_begin(app->db, false, &t))) {
		app->host_uuid = obj_get_str(t, CLS_host, app->host_ref, "uuid");
		store_rollback(t);
	}
out:
	free(fd.host);
	free(fd.pool);
	free(fd.dom0);
	facts_clear(&f);
	return e;
}
