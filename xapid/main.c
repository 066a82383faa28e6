/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid: the XenAPI daemon of a Halyard host.
 *
 *   xapid [options]                 serve (see usage())
 *   xapid user-add [--state-dir D] NAME ROLE   add a local account; the
 *                                   password is read from standard input
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_io.h"
#include "console_ops.h"
#include "dispatch.h"
#include "http.h"
#include "rpc_http.h"
#include "sessions.h"
#include "storage.h"
#include "store.h"
#include "tasks.h"
#include "timers.h"
#include "util.h"
#include "vdi_http.h"
#include "xapid.h"
#include "xenops.h"
#include "netcore.h"

#ifndef HALYARD_VERSION
#define HALYARD_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xapid [options]\n"
		"       xapid user-add [--state-dir DIR] NAME ROLE   (password on stdin)\n"
		"options:\n"
		"  --state-dir DIR        state directory (default ./var)\n"
		"  --listen ADDR          TCP address (default 0.0.0.0)\n"
		"  --port N               TCP port (default 443; 0 = no TCP listener)\n"
		"  --no-tls               plain HTTP on the TCP port\n"
		"  --cert FILE --key FILE certificate and key (default: generated in the state dir)\n"
		"  --unix-socket PATH     local socket (default STATE/xapi.sock)\n"
		"  --plugin-dir DIR       host.call_plugin directory (default STATE/plugins)\n"
		"  --pam                  also check system users through PAM\n"
		"  --threads N            HTTP worker threads (default 4)\n"
		"  --login-fail-delay-ms N  delay before answering bad credentials (default 5000)\n"
		"  --clean-shutdown-timeout-s N  how long VM.clean_shutdown waits for the guest\n"
		"                         (default 120; VM.shutdown then forces it off)\n"
		"  --kvm-probe-kernel FILE --kvm-probe-initrd FILE  a Linux guest that prints\n"
		"                         HALYARD-GUEST-UP: booted once per machine boot under KVM\n"
		"                         to decide kvm or tcg (HALYARD_ACCEL=kvm|tcg overrides)\n"
		"  --version\n");
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void maintenance(void *arg);

static void schedule_maintenance(xapid *app)
{
	timers_add(app->timers, hx_mono_ms() + 30000, maintenance, app);
}

/* Every 30 s: reap idle sessions, expire tasks. */
static void maintenance(void *arg)
{
	xapid *app = arg;
	if (app->stopping)
		return;
	sessions_reap(app);
	tasks_gc(app);
	schedule_maintenance(app);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static char *abspath(const char *p)
{
	char *r = realpath(p, NULL);
	return r ? r : hx_strdup(p);
}

static void config_defaults(xapid_config *c)
{
	memset(c, 0, sizeof(*c));
	c->bind_addr = hx_strdup("0.0.0.0");
	c->port = 443;
	c->tls = true;
	c->threads = 4;
	c->task_workers = 4;
	c->session_limit_total = 2000;
	c->session_limit_originator = 500;
	c->session_idle_s = 24 * 3600;
	c->task_done_ttl_s = 65 * 60;
	c->task_pending_ttl_s = 24 * 3600;
	c->login_fail_delay_ms = 5000;
	c->clean_shutdown_timeout_s = 120;
}

static void config_free(xapid_config *c)
{
	free(c->state_dir);
	free(c->bind_addr);
	free(c->cert_file);
	free(c->key_file);
	free(c->unix_path);
	free(c->plugin_dir);
	free(c->accounts_file);
	free(c->kvm_probe_kernel);
	free(c->kvm_probe_initrd);
}

static int user_add(int argc, char **argv)
{
	const char *state = "./var";
	int i = 1;
	if (argc > 3 && !strcmp(argv[1], "--state-dir")) {
		state = argv[2];
		i = 3;
	}
	if (argc - i != 2) {
		usage(stderr);
		return 2;
	}
	char pw[1024];
	if (!fgets(pw, sizeof(pw), stdin)) {
		fprintf(stderr, "xapid: no password on standard input\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = 0;
	if (mkdir_p(state, 0700)) {
		fprintf(stderr, "xapid: cannot create %s: %s\n", state, strerror(errno));
		return 1;
	}
	char *path = hx_asprintf("%s/accounts", state);
	int r = accounts_put(path, argv[i], pw, argv[i + 1]);
	free(path);
	if (r) {
		fprintf(stderr, "xapid: cannot add %s: %s\n", argv[i],
			r == -EINVAL ? "bad name or unknown role" : strerror(-r));
		return 1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, xapid_config *c)
{
	enum { O_STATE = 256, O_LISTEN, O_PORT, O_NOTLS, O_CERT, O_KEY, O_UNIX, O_PLUGINS, O_PAM,
	       O_THREADS, O_DELAY, O_VERSION, O_HELP, O_SHUTDOWN_TO, O_PROBE_K, O_PROBE_I };
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "port", required_argument, NULL, O_PORT },
		{ "no-tls", no_argument, NULL, O_NOTLS },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "unix-socket", required_argument, NULL, O_UNIX },
		{ "plugin-dir", required_argument, NULL, O_PLUGINS },
		{ "pam", no_argument, NULL, O_PAM },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "login-fail-delay-ms", required_argument, NULL, O_DELAY },
		{ "clean-shutdown-timeout-s", required_argument, NULL, O_SHUTDOWN_TO },
		{ "kvm-probe-kernel", required_argument, NULL, O_PROBE_K },
		{ "kvm-probe-initrd", required_argument, NULL, O_PROBE_I },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case O_STATE: free(c->state_dir); c->state_dir = hx_strdup(optarg); break;
		case O_LISTEN: free(c->bind_addr); c->bind_addr = hx_strdup(optarg); break;
		case O_PORT: c->port = atoi(optarg); break;
		case O_NOTLS: c->tls = false; break;
		case O_CERT: free(c->cert_file); c->cert_file = hx_strdup(optarg); break;
		case O_KEY: free(c->key_file); c->key_file = hx_strdup(optarg); break;
		case O_UNIX: free(c->unix_path); c->unix_path = hx_strdup(optarg); break;
		case O_PLUGINS: free(c->plugin_dir); c->plugin_dir = hx_strdup(optarg); break;
		case O_PAM: c->use_pam = true; break;
		case O_THREADS: c->threads = (unsigned)atoi(optarg); break;
		case O_DELAY: c->login_fail_delay_ms = atoll(optarg); break;
		case O_SHUTDOWN_TO: c->clean_shutdown_timeout_s = atoll(optarg); break;
		case O_PROBE_K: free(c->kvm_probe_kernel); c->kvm_probe_kernel = hx_strdup(optarg); break;
		case O_PROBE_I: free(c->kvm_probe_initrd); c->kvm_probe_initrd = hx_strdup(optarg); break;
		case O_VERSION: printf("xapid %s\n", HALYARD_VERSION); exit(0);
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || c->port < 0 || c->port > 65535 || c->threads == 0 ||
	    c->clean_shutdown_timeout_s < 1) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "user-add"))
		return user_add(argc - 1, argv + 1);

	static xapid app;
	config_defaults(&app.cfg);
	if (parse_args(argc, argv, &app.cfg))
		return 2;
	xapid_config *c = &app.cfg;
	if (!c->state_dir)
		c->state_dir = hx_strdup("./var");
	if (mkdir_p(c->state_dir, 0700)) {
		fprintf(stderr, "xapid: cannot create %s: %s\n", c->state_dir, strerror(errno));
		return 1;
	}
	char *sd = abspath(c->state_dir);
	free(c->state_dir);
	c->state_dir = sd;
	if (!c->unix_path)
		c->unix_path = hx_asprintf("%s/xapi.sock", sd);
	if (!c->plugin_dir)
		c->plugin_dir = hx_asprintf("%s/plugins", sd);
	if (!c->cert_file)
		c->cert_file = hx_asprintf("%s/xapi-ssl.pem", sd);
	if (!c->key_file)
		c->key_file = hx_asprintf("%s/xapi-ssl.key", sd);
	c->accounts_file = hx_asprintf("%s/accounts", sd);

	/* Every connection (and every parked long-poll) is a descriptor. */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	char *msg = NULL;
	char *dbpath = hx_asprintf("%s/xapi.db", sd);
	int r = store_open(&app.db, dbpath, &msg);
	free(dbpath);
	if (r) {
		fprintf(stderr, "xapid: cannot open the database: %s\n", msg ? msg : strerror(-r));
		free(msg);
		return 1;
	}
	app.start_time = hx_now();
	app.sessions = sessions_new();
	app.timers = timers_new();
	app.workers = workers_new(c->task_workers);
	app.rpc_workers = workers_new(c->threads * 2);

	xerr *e = bootstrap_run(&app);
	if (e) {
		char *d = xv_to_debug(xerr_to_xv(e));
		fprintf(stderr, "xapid: bootstrap failed: %s\n", d);
		free(d);
		return 1;
	}

	/* Tasks the last stop interrupted end as failure (still visible). */
	tasks_recover(&app);

	/* Re-attach to running VMs, reconcile their records, watch them. */
	/* Plug this host's SRs again (and make the default SR on first start). */
	storage_init(&app);
	xenops_init(&app);
	storage_recover_start(&app);
	/* The switch: backend, first-start PIF scan, reconcile with the DB. */
	net_init(&app);

	char *root_pw = NULL;
	r = accounts_ensure_root(&app, &root_pw);
	if (r) {
		fprintf(stderr, "xapid: cannot create the root account: %s\n", strerror(-r));
		return 1;
	}
	if (root_pw) {
		/* Shown once; kept readable by root only so scripts can print it. */
		char *p = hx_asprintf("%s/root-password", sd);
		FILE *f = fopen(p, "w");
		if (f) {
			fchmod(fileno(f), 0600);
			fprintf(f, "%s\n", root_pw);
			fclose(f);
		}
		printf("xapid: created account root; its password is in %s\n", p);
		free(p);
		free(root_pw);
	}

	if (c->port && c->tls) {
		char host[256] = "localhost";
		gethostname(host, sizeof(host) - 1);
		if (http_ensure_cert(c->cert_file, c->key_file, host, &msg)) {
			fprintf(stderr, "xapid: certificate: %s\n", msg ? msg : "failed");
			return 1;
		}
	}

	const size_t rpc_max = 300 * 1024;
	const http_route routes[] = {
		{ "POST", "/jsonrpc", rpc_max, rpc_http_json },
		{ "POST", "/", rpc_max, rpc_http_xml },
		{ "OPTIONS", "/", 0, rpc_http_options },
		{ "GET", "/pool/xmldbdump", 0, handler_dbdump_get },
		{ "PUT", "/pool/xmldbdump", (size_t)256 << 20, handler_dbdump_put },
		{ "GET", "/blob", 0, handler_blob_get },
		{ "PUT", "/blob", (size_t)64 << 20, handler_blob_put },
		{ "CONNECT", "/console", 0, handler_console_connect },
		{ "GET", "/console", 0, handler_console_get },
		{ "GET", "/rrd_updates", 0, handler_rrd_updates },
		{ "GET", "/vm_rrd", 0, handler_vm_rrd },
		{ "GET", "/vm_rrds", 0, handler_vm_rrd },
		{ "GET", "/host_rrd", 0, handler_host_rrd },
		{ "GET", "/host_rrds", 0, handler_host_rrd },
		{ "GET", "/export_raw_vdi", 0, handler_export_raw_vdi },
		{ "*", "/", 0, rpc_http_not_found },
	};
	/* Disk uploads of any size, read as they arrive (vdi_http.c). */
	const http_route stream_routes[] = {
		{ "PUT", "/import_raw_vdi", SIZE_MAX, handler_import_raw_vdi },
	};
	http_config hc = {
		.bind_addr = c->bind_addr,
		.port = (uint16_t)c->port,
		.tls = c->tls,
		.cert_file = c->cert_file,
		.key_file = c->key_file,
		.unix_path = c->unix_path,
		.threads = c->threads,
		.conn_limit = 10000,
		.per_ip_limit = 0,
		.timeout_s = 300,
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.stream_routes = stream_routes,
		.nstream_routes = sizeof(stream_routes) / sizeof(stream_routes[0]),
		.app = &app,
	};
	r = http_start(&hc, &app.http, &msg);
	if (r) {
		fprintf(stderr, "xapid: cannot listen: %s\n", msg ? msg : strerror(-r));
		return 1;
	}
	schedule_maintenance(&app);
	if (c->port)
		printf("xapid: listening on %s://%s:%u/\n", c->tls ? "https" : "http", c->bind_addr,
		       http_port(app.http));
	printf("xapid: local socket %s\n", c->unix_path);
	printf("xapid: ready\n");
	fflush(stdout);

	while (!got_signal)
		pause();

	printf("xapid: stopping (signal %d)\n", (int)got_signal);
	fflush(stdout);
	app.stopping = 1;
	conio_stop(); /* console proxies hand their connections back first */
	app.http = http_stop(app.http);
	app.rpc_workers = workers_free(app.rpc_workers);
	app.workers = workers_free(app.workers);
	tasks_shutdown(&app);
	xenops_shutdown(&app); /* VMs keep running */
	storage_shutdown(&app);
	net_shutdown();         /* the switch keeps its ports */
	app.timers = timers_free(app.timers);
	app.sessions = sessions_free(app.sessions);
	app.db = store_close(app.db);
	free(app.pool_ref);
	free(app.host_ref);
	free(app.host_uuid);
	free(app.dom0_ref);
	free(app.management_addr);
	config_free(c);
	return 0;
}
