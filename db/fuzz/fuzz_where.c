/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: where_parse on arbitrary text, where_eval of what
 * parses against a fixed record. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../where.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static xv *fuzz_record(void)
{
	xv *r = xv_struct();
	xv_struct_set(r, "name_label", xv_str("a"));
	xv_struct_set(r, "is_a_template", xv_bool(false));
	xv_struct_set(r, "domid", xv_int(0));
	xv_struct_set(r, "ratio", xv_float(0.5));
	xv_struct_set(r, "created", xv_datetime(0));
	xv_struct_set(r, "opt", xv_nil());
	xv *oc = xv_struct();
	xv_struct_set(oc, "k", xv_str("v'\\"));
	xv_struct_set(r, "other_config", oc);
	xv *tags = xv_array();
	xv_array_push(tags, xv_str("t"));
	xv_array_push(tags, xv_int(3));
	xv_struct_set(r, "tags", tags);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xv *rec;
	if (!rec)
		rec = fuzz_record();
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	char *err = NULL;
	where_expr *e = where_parse(text, &err);
	if (e) {
		(void)where_eval(e, rec);
		if (err)
			abort(); /* success never sets an error */
	} else if (!err || !*err) {
		abort(); /* failure always explains */
	}
	where_free(e);
	free(err);
	free(text);
	return 0;
}
