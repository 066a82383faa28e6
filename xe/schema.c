/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adapter from the generated tables to xe's view of them (schema.h).
 *
 * From genxe (xe_gen.h): commands, CLI classes, CLI fields with their
 * access marker, and where each field's value comes from. From genapi
 * (meta.h): the API type of that field, which tells xe which class a ref
 * points to (to print it as a uuid), how to convert command-line text
 * into a typed value, and which enums xe prints in lower case.
 *
 * Fields genxe marks as computed are looked for, mechanically, on the
 * class's metrics objects (VM.metrics -> VM_metrics.memory_actual for
 * "memory-actual", VM.guest_metrics -> VM_guest_metrics.os_version …);
 * those still unresolved print "<unknown>".
 *
 * The derived tables are built once, on first use, and live until exit.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meta.h"
#include "value.h"
#include "xe.h"

/* Filters added to the generated implicit ones (none: vm-list shows the
 * control domain, as real xe does). */
static const struct {
	const char *cli, *field, *value;
} extra_filters[] = {
	{ NULL, NULL, NULL },
};

/* Enums whose values xe prints in lower case ("halted", "running"). */
static const char *const lower_enums[] = { "vm_power_state", NULL };

static xe_class_def *classes;  /* xe_nclasses entries */
static xe_cmd_def *cmds;       /* xe_ncommands entries */

/* cli name with '-' -> '_' */
static char *underscored(const char *s)
{
	char *u = hx_strdup(s);
	for (char *p = u; *p; p++)
		if (*p == '-')
			*p = '_';
	return u;
}

static int find_field_ci(int cls, const char *name)
{
	int i = api_find_field(cls, name);
	if (i >= 0)
		return i;
	for (int j = 0; j < api_classes[cls].nfields; j++)
		if (!strcasecmp(api_classes[cls].fields[j].name, name))
			return j;
	return -1;
}

/* Fills type-derived members of fd from the API field f. */
static void apply_type(xe_field_def *fd, const api_field *f)
{
	const api_type *t = f->type;
	const api_type *el = t;
	switch (t->kind) {
	case AT_STRING: fd->kind = 's'; break;
	case AT_INT: fd->kind = 'i'; break;
	case AT_FLOAT: fd->kind = 'f'; break;
	case AT_BOOL: fd->kind = 'b'; break;
	case AT_DATETIME: fd->kind = 'd'; break;
	case AT_ENUM: fd->kind = 'e'; break;
	case AT_REF: fd->kind = 'r'; break;
	case AT_SET: fd->kind = 'S'; el = t->elem; break;
	case AT_MAP: fd->kind = 'M'; el = t->elem; break;
	default: fd->kind = '?'; break;
	}
	if (el && el->kind == AT_REF && el->cls >= 0)
		fd->ref_class = api_classes[el->cls].name;
	if (el && el->kind == AT_ENUM && el->enm >= 0) {
		fd->is_enum = true;
		for (size_t i = 0; lower_enums[i]; i++)
			if (!strcmp(api_enums[el->enm].name, lower_enums[i]))
				fd->lower = true;
	}
}

/*
 * A computed field: looks for a same-named field on the objects the class
 * points to through its *metrics refs. Sets api/via/via_class on success.
 */
static void find_via(xe_field_def *fd, int cls, char **owned)
{
	char *want = underscored(fd->name);
	for (int j = 0; j < api_classes[cls].nfields && !fd->api; j++) {
		const api_field *rf = &api_classes[cls].fields[j];
		if (rf->type->kind != AT_REF || rf->type->cls < 0)
			continue;
		const char *tname = api_classes[rf->type->cls].name;
		size_t tl = strlen(tname);
		if (tl < 7 || strcasecmp(tname + tl - 7, "metrics"))
			continue;
		int k = find_field_ci(rf->type->cls, want);
		if (k < 0)
			continue;
		const api_field *tf = &api_classes[rf->type->cls].fields[k];
		fd->api = tf->name;
		fd->via = rf->name;
		fd->via_class = tname;
		apply_type(fd, tf);
	}
	*owned = want;
}

static void build_class(xe_class_def *cd, const xe_class *gc)
{
	int cls = api_find_class(gc->xapi_class);
	xe_field_def *fds = hx_calloc((size_t)gc->nfields + 1, sizeof(*fds));
	size_t nf = 0;

	cd->cli = gc->cli_class;
	cd->api = gc->xapi_class;
	for (int i = 0; i < gc->nfields; i++) {
		const xe_field *g = &gc->fields[i];
		xe_field_def *fd = &fds[i];
		fd->name = g->name;
		fd->access = g->access;
		fd->expensive = g->expensive;
		fd->deprecated = g->deprecated;
		fd->kind = '?';
		if (g->src == XE_SRC_COMPUTED || !g->api_field) {
			char *tmp = NULL;
			if (cls >= 0)
				find_via(fd, cls, &tmp);
			free(tmp);
			continue;
		}
		fd->api = g->api_field;
		if (g->src == XE_SRC_REF_NAME_LABEL)
			fd->show = XE_SHOW_NAME;
		int f = cls >= 0 ? api_find_field(cls, g->api_field) : -1;
		if (f >= 0)
			apply_type(fd, &api_classes[cls].fields[f]);
	}
	nf = (size_t)gc->nfields;
	cd->fields = fds;
	cd->nfields = nf;

	size_t nfl = (size_t)gc->nfilters;
	for (size_t i = 0; i < sizeof(extra_filters) / sizeof(extra_filters[0]); i++)
		nfl += extra_filters[i].cli && !strcmp(extra_filters[i].cli, gc->cli_class);
	xe_filter_def *fl = hx_calloc(nfl + 1, sizeof(*fl));
	size_t k = 0;
	for (int i = 0; i < gc->nfilters; i++) {
		fl[k].field = gc->filters[i].key;
		fl[k++].value = gc->filters[i].value;
	}
	for (size_t i = 0; i < sizeof(extra_filters) / sizeof(extra_filters[0]); i++)
		if (extra_filters[i].cli && !strcmp(extra_filters[i].cli, gc->cli_class)) {
			fl[k].field = extra_filters[i].field;
			fl[k++].value = extra_filters[i].value;
		}
	cd->filters = fl;
	cd->nfilters = k;

	cd->default_columns = gc->default_columns;
	cd->ndefault_columns = 0;
	while (gc->default_columns && gc->default_columns[cd->ndefault_columns])
		cd->ndefault_columns++;
}

static void build(void)
{
	if (classes)
		return;
	classes = hx_calloc((size_t)xe_nclasses + 1, sizeof(*classes));
	for (int i = 0; i < xe_nclasses; i++)
		build_class(&classes[i], &xe_classes[i]);
	cmds = hx_calloc((size_t)xe_ncommands + 1, sizeof(*cmds));
	for (int i = 0; i < xe_ncommands; i++) {
		const xe_command *g = &xe_commands[i];
		xe_cmd_def *c = &cmds[i];
		c->name = g->name;
		c->required = g->required;
		c->nrequired = g->nrequired > 0 ? (size_t)g->nrequired : 0;
		c->optional = g->optional;
		c->noptional = g->noptional > 0 ? (size_t)g->noptional : 0;
		c->purpose = NULL; /* genxe does not carry the purpose text yet */
		c->flags = g->flags;
		c->cli_class = g->cls >= 0 ? xe_classes[g->cls].cli_class : NULL;
	}
}

const xe_cmd_def *xe_cmd_lookup(const char *name)
{
	build();
	const xe_command *g = xe_find_command(name);
	return g ? &cmds[g - xe_commands] : NULL;
}

const xe_class_def *xe_class_lookup(const char *cli)
{
	build();
	int i = xe_find_class(cli);
	return i >= 0 ? &classes[i] : NULL;
}

const xe_field_def *xe_find_field(const xe_class_def *cd, const char *name)
{
	for (size_t i = 0; i < cd->nfields; i++)
		if (!strcmp(cd->fields[i].name, name))
			return &cd->fields[i];
	return NULL;
}

size_t xe_ncmds(void)
{
	return (size_t)xe_ncommands;
}

const xe_cmd_def *xe_cmd_at(size_t i)
{
	build();
	return i < (size_t)xe_ncommands ? &cmds[i] : NULL;
}
