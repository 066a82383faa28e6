/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HVM firmware and boot order of a QEMU domain (see qemu_boot.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu_boot.h"
#include "qemu_disk.h"
#include "qemu_int.h"
#include "qemu_nic.h"
#include "util.h"

#define OVMF_CODE "/usr/share/OVMF/OVMF_CODE.fd"
#define OVMF_VARS "/usr/share/OVMF/OVMF_VARS.fd"

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static bool is_hvm(const xo_spec *s)
{
	return s->domain_type && !strcmp(s->domain_type, "hvm");
}

static bool is_uefi(const xo_spec *s)
{
	return is_hvm(s) && s->firmware && !strcmp(s->firmware, "uefi");
}

bool xo_firmware_valid(const char *firmware)
{
	return !firmware || !*firmware || !strcmp(firmware, "bios") || !strcmp(firmware, "uefi");
}

static const char *order_of(const xo_spec *s)
{
	return s->boot_order && *s->boot_order ? s->boot_order : XO_BOOT_DEFAULT_ORDER;
}

/* Class letter of disk d: 'c' disk, 'd' CD. */
static char klass(const xo_disk *d)
{
	return d->cdrom ? 'd' : 'c';
}

/* The bootindex of disk i (nic false) or NIC i (nic true): devices are
 * counted class by class in the order given ('c' disks and 'd' CDs by
 * userdevice number, 'n' NICs by VIF device number); -1 when the
 * device's class is not in the order. */
static int rank(const xo_spec *s, bool nic, size_t i)
{
	int idx = 1;
	bool seen[256] = { false };
	for (const char *c = order_of(s); *c; c++) {
		if ((*c != 'c' && *c != 'd' && *c != 'n') || seen[(unsigned char)*c])
			continue; /* unknown, or a class named twice (boots once) */
		seen[(unsigned char)*c] = true;
		for (int n = 0; n < 256; n++) {
			if (*c == 'n') {
				for (size_t j = 0; j < s->nnics; j++) {
					if (xo_devnum(s->nics[j].device, 256) != n)
						continue;
					if (nic && j == i)
						return idx;
					idx++;
				}
				continue;
			}
			for (size_t j = 0; j < s->ndisks; j++) {
				const xo_disk *d = &s->disks[j];
				if (klass(d) != *c || xo_devnum(d->userdevice, 256) != n || (d->empty && !d->cdrom))
					continue;
				if (!nic && j == i)
					return idx;
				idx++;
			}
		}
	}
	return -1;
}

int xo_boot_index(const xo_spec *s, size_t i)
{
	if (!is_hvm(s) || i >= s->ndisks)
		return -1;
	const xo_disk *me = &s->disks[i];
	if (xo_devnum(me->userdevice, 256) < 0 || (me->empty && !me->cdrom))
		return -1;
	return rank(s, false, i);
}

int xo_boot_index_nic(const xo_spec *s, size_t i)
{
	if (!is_hvm(s) || i >= s->nnics || xo_devnum(s->nics[i].device, 256) < 0)
		return -1;
	return rank(s, true, i);
}

/* SeaBIOS writes to the VGA only unless fw_cfg etc/sercon-port names a
 * serial port (a little-endian integer): the VM has no VGA, so its
 * messages ("No bootable device.") go to the serial console, COM1. */
static xerr *write_sercon(const xo_spec *s)
{
	char *p = hx_asprintf("%s/fw-sercon-port", s->dir);
	const unsigned char port[2] = { 0xf8, 0x03 };
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	xerr *e = NULL;
	if (fd < 0 || write(fd, port, sizeof(port)) != (ssize_t)sizeof(port))
		e = xerr_newf("INTERNAL_ERROR", "%s: %s", p, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(p);
	return e;
}

xerr *xo_boot_prepare(const xo_spec *s)
{
	if (!is_hvm(s))
		return NULL;
	if (!is_uefi(s))
		return write_sercon(s);
	const char *code = env_or("HALYARD_OVMF_CODE", OVMF_CODE);
	const char *vars = env_or("HALYARD_OVMF_VARS", OVMF_VARS);
	if (access(code, R_OK) || access(vars, R_OK))
		return xerr_new("DOMAIN_BUILDER_ERROR", "qemu", "not found",
				"firmware=uefi needs OVMF (package ovmf: " OVMF_CODE ", " OVMF_VARS ")",
				NULL);
	char *dst = hx_asprintf("%s/nvram.fd", s->dir);
	struct stat st, vs;
	if (!stat(dst, &st) && !stat(vars, &vs) && st.st_size == vs.st_size) {
		free(dst); /* the VM's NVRAM from an earlier boot */
		return NULL;
	}
	char *tmp = hx_asprintf("%s/nvram.fd.tmp", s->dir);
	xerr *e = NULL;
	int in = open(vars, O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		e = xerr_newf("INTERNAL_ERROR", "NVRAM %s: %s", in < 0 ? vars : tmp, strerror(errno));
	char buf[65536];
	ssize_t n;
	while (!e && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n)
			e = xerr_newf("INTERNAL_ERROR", "NVRAM copy: %s", strerror(errno));
	}
	if (out >= 0 && !e && fsync(out))
		e = xerr_newf("INTERNAL_ERROR", "NVRAM fsync: %s", strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (!e && rename(tmp, dst))
		e = xerr_newf("INTERNAL_ERROR", "NVRAM rename: %s", strerror(errno));
	if (e)
		unlink(tmp);
	free(tmp);
	free(dst);
	return e;
}

void xo_qemu_boot_argv(const xo_spec *s, void (*add)(void *a, char *s), void *a)
{
	if (!is_hvm(s))
		return;
	if (is_uefi(s)) {
		char *code = xo_opt_escape(env_or("HALYARD_OVMF_CODE", OVMF_CODE));
		char *dir = xo_opt_escape(s->dir);
		add(a, hx_strdup("-drive"));
		add(a, hx_asprintf("if=pflash,format=raw,unit=0,readonly=on,file=%s", code));
		add(a, hx_strdup("-drive"));
		add(a, hx_asprintf("if=pflash,format=raw,unit=1,file=%s/nvram.fd", dir));
		free(code);
		free(dir);
	} else {
		char *dir = xo_opt_escape(s->dir);
		add(a, hx_strdup("-fw_cfg"));
		add(a, hx_asprintf("name=etc/sercon-port,file=%s/fw-sercon-port", dir));
		free(dir);
	}
	/* Only the devices given a bootindex boot; none → the firmware's
	 * "no bootable device". */
	add(a, hx_strdup("-boot"));
	add(a, hx_strdup("menu=off,strict=on"));
}
