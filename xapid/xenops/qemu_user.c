/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user QEMU runs as (qemu_int.h: xo_qemu_runas).
 *
 * HALYARD_QEMU_USER names it; unset means "halyard-qemu" (the system user
 * scripts/lib.sh creates), empty means root. QEMU is told `-runas USER`
 * and drops to that uid/gid once its devices, sockets and start-time
 * disks are open; whatever it needs later is opened by xapid and handed
 * over as a file descriptor (qemu_fdpass.c). When the user does not exist
 * or xapid is not root, QEMU runs as xapid's own user and xapid says why,
 * once.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char user[64];

static void resolve(void)
{
	const char *env = getenv("HALYARD_QEMU_USER");
	const char *want = env ? env : "halyard-qemu";
	if (!*want) {
		fprintf(stderr, "xapid: QEMU runs as root (HALYARD_QEMU_USER is empty)\n");
		return;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "xapid: QEMU runs as xapid's user (uid %d): only root can use -runas %s\n",
			(int)geteuid(), want);
		return;
	}
	if (strlen(want) >= sizeof(user) || strchr(want, ',')) {
		fprintf(stderr, "xapid: QEMU runs as root: bad HALYARD_QEMU_USER\n");
		return;
	}
	errno = 0;
	struct passwd *pw = getpwnam(want);
	if (!pw) {
		fprintf(stderr, "xapid: QEMU runs as root: no user %s (%s)\n", want,
			errno ? strerror(errno) : "scripts/lib.sh ensure_qemu_user creates it");
		return;
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr, "xapid: QEMU runs as root (HALYARD_QEMU_USER=%s is uid 0)\n", want);
		return;
	}
	strcpy(user, want);
	fprintf(stderr, "xapid: QEMU runs as %s (uid %d, gid %d)\n", user, (int)pw->pw_uid,
		(int)pw->pw_gid);
}

const char *xo_qemu_runas(void)
{
	pthread_once(&once, resolve);
	return user[0] ? user : NULL;
}
