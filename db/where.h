/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XAPI's query expressions for get_all_records_where / get_all_where
 * (ocaml/database/db_filter.ml), e.g.
 *   field "name__label"="x" and not (field "is_a_template"="true")
 *   true   false   field "a" = "b" or field "c" <> "d"
 * Field names use "__" for "_" (name__label is name_label); plain names
 * work too. Values compare as strings against the field's string rendering
 * (bool "true"/"false", int decimal, refs and enums as spelled).
 * As in XAPI, "and" and "or" have the same precedence and group to the left
 * (a or b and c is (a or b) and c); "not" binds tighter. "<>" is an
 * extension. Nesting is limited (512); errors say where parsing stopped.
 */
#ifndef HALYARD_DB_WHERE_H
#define HALYARD_DB_WHERE_H

#include <stdbool.h>

#include "../xapid/rpc/value.h"

typedef struct where_expr where_expr;

/* Returns the parsed expression or NULL with *errmsg (heap). */
where_expr *where_parse(const char *text, char **errmsg);
where_expr *where_free(where_expr *e);
/* Evaluates e against a record (XV_STRUCT from store_get_record). */
bool where_eval(const where_expr *e, const xv *record);

#endif
