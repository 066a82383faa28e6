/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: an OVSDB server's reply text through json-c and
 * ovsdb_check_reply (the part of the client that reads what the server
 * sends), and the select-result helper on whatever came back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ovsdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *msg = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!msg)
		return 0;
	for (int64_t id = 0; id < 3; id++) {
		json_object *res = NULL;
		char *err = NULL;
		int r = ovsdb_check_reply(msg, id, &res, &err);
		if (r == 0 && res) {
			if (json_object_is_type(res, json_type_array))
				for (size_t i = 0; i < json_object_array_length(res); i++)
					(void)ovsdb_row_uuid(json_object_array_get_idx(res, i), 0);
			json_object_put(res);
		} else if (r == 0) {
			abort(); /* success always yields a result */
		}
		free(err);
	}
	json_object_put(msg);
	return 0;
}
