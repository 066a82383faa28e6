/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which accelerator QEMU uses: kvm or tcg.
 *
 * /dev/kvm being there is not enough: on some machines KVM runs a
 * boot-sector probe but a Linux guest hangs under it (MACHINE-NOTES). So
 * the probe boots a real Linux guest (--kvm-probe-kernel/--kvm-probe-initrd:
 * one that prints HALYARD-GUEST-UP on its serial console, such as
 * tests/guest) under -accel kvm with a timeout, once per machine boot:
 * the result is cached in a machine-wide file keyed by
 * /proc/sys/kernel/random/boot_id ($HALYARD_KVM_PROBE_CACHE, default
 * /var/tmp/halyard-kvm-probe; a lock file next to it keeps concurrent
 * xapids from probing twice). The probe runs in a background thread so
 * xapid starts at once; domains started meanwhile use TCG.
 *
 *   HALYARD_ACCEL=kvm|tcg          overrides everything
 *   HALYARD_KVM_PROBE_TIMEOUT_S    probe timeout (default 30)
 *   no probe guest configured      tcg
 *
 * The choice is recorded in host.other_config:accelerator and as
 * "qemu-<accel>-x86_64" in host.capabilities, written only when it
 * differs from what is stored (no event at every start).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "qemu_int.h"
#include "store.h"
#include "util.h"
#include "xapid.h"
#include "xenops.h"

#define PROBE_MARKER "HALYARD-GUEST-UP"

static _Atomic int use_kvm; /* 0 tcg, 1 kvm */
static pthread_t probe_thread;
static bool probe_running;
static _Atomic int probe_stop;

const char *xo_qemu_accel(void)
{
	return atomic_load(&use_kvm) ? "kvm" : "tcg";
}

/* The machine's boot id (heap) or NULL. */
static char *boot_id(void)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char buf[64] = "";
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\r\n")] = 0;
	return buf[0] ? hx_strdup(buf) : NULL;
}

static char *cache_path(void)
{
	const char *p = getenv("HALYARD_KVM_PROBE_CACHE");
	return hx_strdup(p && *p ? p : "/var/tmp/halyard-kvm-probe");
}

/* The cached result for this boot: 1 kvm, 0 tcg, -1 none. */
static int cache_read(const char *path, const char *boot)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char b[64] = "", r[16] = "";
	int n = fscanf(f, "%63s %15s", b, r);
	fclose(f);
	if (n != 2 || strcmp(b, boot))
		return -1;
	return !strcmp(r, "kvm") ? 1 : !strcmp(r, "tcg") ? 0 : -1;
}

static void cache_write(const char *path, const char *boot, bool kvm)
{
	char *tmp = hx_asprintf("%s.%d.tmp", path, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (f) {
		bool ok = fprintf(f, "%s %s\n", boot, kvm ? "kvm" : "tcg") > 0;
		ok = !fclose(f) && ok;
		if (!ok || rename(tmp, path))
			unlink(tmp);
	}
	free(tmp);
}

/* Writes the accelerator into the host record when it differs. */
static void record(struct xapid *app, bool kvm)
{
	const char *a = kvm ? "kvm" : "tcg";
	txn *t;
	if (!app->host_ref || store_begin(app->db, true, &t))
		return;
	xerr *e = NULL;
	xv *oc = obj_get(t, CLS_host, app->host_ref, "other_config");
	if (oc && oc->kind == XV_STRUCT) {
		const char *cur = xv_struct_str(oc, "accelerator");
		if (!cur || strcmp(cur, a)) {
			xv_struct_set(oc, "accelerator", xv_str(a));
			e = obj_set(t, CLS_host, app->host_ref, "other_config", oc);
			oc = NULL;
		}
	}
	xv_free(oc);
	xv *caps = e ? NULL : obj_get(t, CLS_host, app->host_ref, "capabilities");
	if (caps && caps->kind == XV_ARRAY) {
		char *want = hx_asprintf("qemu-%s-x86_64", a);
		xv *nc = xv_array();
		bool changed = false, have = false;
		for (size_t i = 0; i < xv_len(caps); i++) {
			const char *c = xv_s(xv_array_get(caps, i));
			if (!strcmp(c, want))
				have = true;
			if (!strncmp(c, "qemu-", 5) && strcmp(c, want))
				changed = true;
			else
				xv_array_push(nc, xv_str(c));
		}
		if (!have) {
			xv_array_push(nc, xv_str(want));
			changed = true;
		}
		free(want);
		if (changed)
			e = obj_set(t, CLS_host, app->host_ref, "capabilities", nc);
		else
			xv_free(nc);
	}
	xv_free(caps);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
}

/* Boots the probe guest under KVM: true when it reached its marker. */
static bool run_probe(const char *kernel, const char *initrd, int timeout_s)
{
	char *bin = qemu_binary();
	if (!bin)
		return false;
	char logp[] = "/tmp/halyard-kvm-probe-XXXXXX";
	int lfd = mkstemp(logp);
	if (lfd < 0) {
		free(bin);
		return false;
	}
	close(lfd);
	char *serial = hx_asprintf("file:%s", logp);
	char *initrd_opt = initrd && *initrd ? hx_strdup(initrd) : NULL;
	char *argv[32];
	int n = 0;
	argv[n++] = bin;
	const char *fixed[] = { "-nodefaults", "-no-user-config", "-display", "none",
				"-machine", "q35,accel=kvm", "-m", "256M", "-smp", "1",
				"-no-reboot", "-kernel", NULL };
	for (int i = 0; fixed[i]; i++)
		argv[n++] = (char *)fixed[i];
	argv[n++] = (char *)kernel;
	if (initrd_opt) {
		argv[n++] = "-initrd";
		argv[n++] = initrd_opt;
	}
	argv[n++] = "-append";
	argv[n++] = "console=ttyS0 quiet halyard.poweroff_after=0";
	argv[n++] = "-serial";
	argv[n++] = serial;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	bool ok = false;
	if (pid > 0) {
		int64_t end = hx_mono_ms() + (int64_t)timeout_s * 1000;
		bool exited = false;
		while (!ok && !atomic_load(&probe_stop) && hx_mono_ms() < end) {
			FILE *f = fopen(logp, "re");
			if (f) {
				char line[512];
				while (!ok && fgets(line, sizeof(line), f))
					ok = strstr(line, PROBE_MARKER) != NULL;
				fclose(f);
			}
			if (ok || exited)
				break;
			exited = waitpid(pid, NULL, WNOHANG) == pid;
			if (!exited)
				usleep(200 * 1000);
		}
		if (!exited) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	unlink(logp);
	free(serial);
	free(initrd_opt);
	free(bin);
	return ok;
}

struct probe_arg {
	struct xapid *app;
	char *kernel, *initrd, *cache, *boot;
	int timeout_s;
};

static void *probe_main(void *p)
{
	struct probe_arg *a = p;
	char *lockp = hx_asprintf("%s.lock", a->cache);
	int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lockp);
	/* Wait for the lock without blocking a shutdown of this xapid. */
	while (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0 && !atomic_load(&probe_stop))
		usleep(200 * 1000);
	/* Another xapid may have probed while we waited. */
	int r = cache_read(a->cache, a->boot);
	bool how_cached = r >= 0;
	if (r < 0 && !atomic_load(&probe_stop)) {
		r = run_probe(a->kernel, a->initrd, a->timeout_s) ? 1 : 0;
		if (!atomic_load(&probe_stop))
			cache_write(a->cache, a->boot, r == 1);
	}
	if (lfd >= 0)
		close(lfd);
	if (r >= 0 && !atomic_load(&probe_stop)) {
		atomic_store(&use_kvm, r);
		fprintf(stderr, "xapid: accelerator %s (%s)\n", r ? "kvm" : "tcg",
			how_cached ? "probed by another xapid this boot" :
			r ? "a Linux guest booted under KVM" :
			    "the probe guest did not boot under KVM");
		record(a->app, r == 1);
	}
	free(a->kernel);
	free(a->initrd);
	free(a->cache);
	free(a->boot);
	free(a);
	return NULL;
}

void accel_init(struct xapid *app)
{
	atomic_store(&probe_stop, 0);
	const char *env = getenv("HALYARD_ACCEL");
	if (env && (!strcmp(env, "kvm") || !strcmp(env, "tcg"))) {
		atomic_store(&use_kvm, !strcmp(env, "kvm"));
		record(app, !strcmp(env, "kvm"));
		return;
	}
	atomic_store(&use_kvm, 0);
	char *boot = boot_id(), *cache = cache_path();
	int r = boot ? cache_read(cache, boot) : -1;
	if (r >= 0) {
		atomic_store(&use_kvm, r);
		fprintf(stderr, "xapid: accelerator %s (probed earlier this boot)\n",
			r ? "kvm" : "tcg");
		record(app, r == 1);
	} else if (!app->cfg.kvm_probe_kernel || !boot) {
		/* Nothing to probe with: TCG (not cached: a later xapid with a
		 * probe guest may still find KVM working). */
		record(app, false);
	} else if (access("/dev/kvm", R_OK | W_OK)) {
		cache_write(cache, boot, false);
		record(app, false);
	} else {
		struct probe_arg *a = hx_calloc(1, sizeof(*a));
		a->app = app;
		a->kernel = hx_strdup(app->cfg.kvm_probe_kernel);
		a->initrd = app->cfg.kvm_probe_initrd ? hx_strdup(app->cfg.kvm_probe_initrd) : NULL;
		a->cache = cache;
		a->boot = boot;
		const char *to = getenv("HALYARD_KVM_PROBE_TIMEOUT_S");
		a->timeout_s = to && atoi(to) > 0 ? atoi(to) : 30;
		record(app, false);
		if (!pthread_create(&probe_thread, NULL, probe_main, a)) {
			probe_running = true;
			return;
		}
		free(a->kernel);
		free(a->initrd);
		free(a);
	}
	free(cache);
	free(boot);
}

void accel_shutdown(void)
{
	atomic_store(&probe_stop, 1);
	if (probe_running)
		pthread_join(probe_thread, NULL);
	probe_running = false;
}
