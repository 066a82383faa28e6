/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.call_plugin's wire convention, kept pure for unit tests: the
 * plugin gets an XML-RPC <methodCall> "fn(session_ref, {args})" as
 * argv[1] (XenAPIPlugin.dispatch reads it with xmlrpc loads) and prints
 * an XML-RPC <methodResponse> on stdout: XenAPIPlugin wraps the result
 * as {Status: "Success", Value: "<string>"} or {Status: "Failure",
 * ErrorDescription: [code, params…]}; a bare string is accepted too.
 */
#ifndef HALYARD_OPS_PLUGIN_XML_H
#define HALYARD_OPS_PLUGIN_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "value.h"

/* False for names that could leave the plugin directory or hide in it:
 * empty, containing '/', or starting with '.' ("." and ".." included). */
bool plugin_name_ok(const char *name);

/* The argv[1] text (heap, NUL-terminated). args is a struct of strings. */
char *plugin_build_call(const char *fn, const char *session_ref, const xv *args);

/*
 * Interprets what a plugin that exited with status 0 printed. On success
 * returns NULL and *result (a string value). Otherwise the error XAPI
 * raises: the plugin's own failure (code and params as it gave them), or
 * XENAPI_PLUGIN_FAILURE ["fault", code, reason] / ["unexpected XMLRPC
 * result", output] / ["failed to parse plugin output", output, why].
 */
xerr *plugin_parse_output(const char *out, size_t len, xv **result);

#endif
