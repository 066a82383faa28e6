/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "xe help [command]" and "xe help --all", from the command table.
 */
#include <string.h>

#include "xe.h"

static void print_names(FILE *out, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", v[i]);
}

/* Lists names wrapped like xe: ", "-separated, lines of at most ~78. */
static void print_list(FILE *out, bool all)
{
	size_t col = 0;
	bool first = true;
	for (size_t i = 0; i < xe_ncmds(); i++) {
		const xe_cmd_def *c = xe_cmd_at(i);
		if (c->flags & XE_CMD_HIDDEN)
			continue;
		if (!all && !(c->flags & XE_CMD_STANDARD))
			continue;
		size_t l = strlen(c->name);
		if (first) {
			fprintf(out, "    %s", c->name);
			col = 4 + l;
			first = false;
		} else if (col + 2 + l > 78) {
			fprintf(out, ",\n    %s", c->name);
			col = 4 + l;
		} else {
			fprintf(out, ", %s", c->name);
			col += 2 + l;
		}
	}
	fputc('\n', out);
}

int xe_cmd_help(FILE *out, const xe_params *ps, const char *topic)
{
	bool all = xe_param_bool(ps, "all", false);
	if (topic && strcmp(topic, "all")) {
		const xe_cmd_def *c = xe_cmd_lookup(topic);
		if (!c) {
			fflush(out);
			fprintf(stderr, "Unknown command: %s\nFor usage run: 'xe help'\n", topic);
			return 1;
		}
		fprintf(out, "command name            : %s\n", c->name);
		fprintf(out, "        reqd params     : ");
		print_names(out, c->required, c->nrequired);
		fprintf(out, "\n        optional params : ");
		print_names(out, c->optional, c->noptional);
		fputc('\n', out);
		if (c->purpose)
			fprintf(out, "        description     : %s\n", c->purpose);
		if (!xe_find_explicit(c->name) && !c->cli_class)
			fprintf(out, "        (not available yet in this Halyard release)\n");
		return 0;
	}
	if (topic)
		all = true;
	fprintf(out, "Usage: xe <command> [-s server] [-p port] ([-u username] [-pw password] "
		     "or [-pwf <password file>]) <other arguments>\n\n");
	fprintf(out, "To get help on a specific command: xe help <command>\n");
	fprintf(out, "To get a full listing of commands: xe help --all\n\n");
	fprintf(out, "%s commands:\n", all ? "All" : "Common");
	print_list(out, all);
	return 0;
}
