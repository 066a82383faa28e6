/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The xe command and record tables as xe's code consumes them. The data
 * comes from the generated tables: the CLI side from schemas/gen/genxe.py
 * (xe_gen.h) and the API types from schemas/gen/genapi.py (meta.h).
 * schema.c is the thin adapter that joins the two, so that the rest of
 * xe/ does not depend on either generator's layout.
 */
#ifndef HALYARD_XE_SCHEMA_H
#define HALYARD_XE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "xe_gen.h" /* xe_access, XE_CMD_* flags, the raw tables */

/* How a field's value is shown. */
typedef enum xe_show {
	XE_SHOW_VALUE = 0, /* the value itself (refs resolved to uuids) */
	XE_SHOW_NAME,      /* a ref shown as its target's name_label */
} xe_show;

typedef struct xe_field_def {
	const char *name;      /* CLI name: "name-label", "resident-on" */
	xe_access access;
	bool expensive;        /* "<expensive field>" in lists */
	bool deprecated;       /* " [DEPRECATED]" after the access marker */
	bool hidden;           /* never in -list/-param-list unless asked */
	bool lower;            /* enum xe prints in lower case (power-state) */
	/*
	 * The API field (wire name) holding the value, on this class's record
	 * or, when via is set, on the record that the ref field `via` points
	 * to (e.g. VM memory-actual: via "metrics", class "VM_metrics",
	 * api "memory_actual"). NULL: derived in a way xe cannot compute yet.
	 */
	const char *api;
	const char *via;
	const char *via_class;
	/* Class of the refs the value holds (ref, ref set, map of refs), or NULL. */
	const char *ref_class;
	xe_show show;
	bool is_enum;
	/* Value kind for conversions from the command line. */
	char kind;             /* 's' string, 'i' int, 'f' float, 'b' bool,
				  'd' datetime, 'e' enum, 'r' ref, 'S' set,
				  'M' map, '?' unknown */
} xe_field_def;

typedef struct xe_filter_def {
	const char *field; /* CLI field */
	const char *value;
} xe_filter_def;

typedef struct xe_class_def {
	const char *cli;        /* "vm", "template", "host" */
	const char *api;        /* "VM", "host" */
	const xe_filter_def *filters; /* implicit filters */
	size_t nfilters;
	const char *const *default_columns;
	size_t ndefault_columns;
	const xe_field_def *fields;
	size_t nfields;
} xe_class_def;

typedef struct xe_cmd_def {
	const char *name;
	const char *const *required;
	size_t nrequired;
	const char *const *optional;
	size_t noptional;
	const char *purpose;
	unsigned flags;
	const char *cli_class; /* generated commands: the CLI class, else NULL */
} xe_cmd_def;

/* Lookups over the generated tables; NULL when absent. */
const xe_cmd_def *xe_cmd_lookup(const char *name);
const xe_class_def *xe_class_lookup(const char *cli);
const xe_field_def *xe_find_field(const xe_class_def *cd, const char *name);
/* Iteration over all commands (sorted by name). */
size_t xe_ncmds(void);
const xe_cmd_def *xe_cmd_at(size_t i);

#endif
