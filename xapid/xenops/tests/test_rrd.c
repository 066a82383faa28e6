/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The round-robin databases of xenops/rrd.c with made-up samples: PDP and
 * CDP consolidation (AVERAGE, MIN, MAX, xff), data sources appearing
 * late, out-of-range and missing values, gaps, the archive choice of
 * rrd_updates (step and rows), the xport legend and row order, and that
 * the XML and JSON exports are well formed (json-c parses the JSON).
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rrd.h"

#define T0 1000020 /* a multiple of 60 */

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The <v> values of row r of an xport (heap copy of the text). */
static char *xport_row(const char *x, int r)
{
	const char *p = x;
	for (int i = 0; i <= r; i++) {
		p = strstr(p, "<row>");
		if (!p)
			return NULL;
		p += 5;
	}
	const char *e = strstr(p, "</row>");
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static rrd *feed(void)
{
	rrd *r = rrd_new();
	for (int k = 0; k <= 35; k++) {
		rrd_sample s[3] = {
			{ "a", k, 0, 100 },
			{ "b", NAN, 0, 100 },
			{ "c", k >= 10 ? 1000.0 : 1.0, 0, 100 }, /* out of range from k = 10 */
		};
		rrd_update(r, T0 + 5 * k, s, 3);
		rrd_update(r, T0 + 5 * k + 1, s, 3); /* same step: ignored */
	}
	return r;
}

static void test_finest(void)
{
	rrd *r = feed();
	const rrd *rs[] = { r };
	const char *px[] = { "vm:u:" };
	rrd_buf b = { 0 };
	CHECK(rrd_xport(rs, px, 1, T0 - 1, 0, RRD_AVERAGE, false, &b), "exports");
	CHECK(strstr(b.s, "<step>5</step>"), "step 5: %.200s", b.s);
	CHECK(strstr(b.s, "<rows>36</rows>"), "36 rows");
	CHECK(strstr(b.s, "<columns>3</columns>"), "3 columns");
	CHECK(strstr(b.s, "<legend><entry>AVERAGE:vm:u:a</entry><entry>AVERAGE:vm:u:b</entry>"
			  "<entry>AVERAGE:vm:u:c</entry></legend>"),
	      "legend");
	CHECK(strstr(b.s, "<meta><start>") < strstr(b.s, "<data>"), "meta before data");
	char *row0 = xport_row(b.s, 0);
	CHECK(row0 && !strcmp(row0, "<t>1000195</t><v>35.0000</v><v>NaN</v><v>NaN</v>"),
	      "newest row first: %s", row0 ? row0 : "");
	char *row35 = xport_row(b.s, 35);
	CHECK(row35 && !strcmp(row35, "<t>1000020</t><v>0.0</v><v>NaN</v><v>1.0000</v>"),
	      "oldest row last: %s", row35 ? row35 : "");
	free(row0);
	free(row35);
	free(b.s);
	OK("5 s archive: rows newest first, unknown and out-of-range values are NaN, "
	   "a second sample in the same step is ignored");
	rrd_free(r);
}

static void test_minute(void)
{
	rrd *r = feed();
	const rrd *rs[] = { r };
	const char *px[] = { "host:h:" };
	rrd_buf b = { 0 };
	CHECK(rrd_xport(rs, px, 1, T0 - 1, 60, -1, false, &b), "exports");
	CHECK(strstr(b.s, "<step>60</step>"), "step 60");
	CHECK(strstr(b.s, "<rows>3</rows>"), "3 rows: %.300s", b.s);
	CHECK(strstr(b.s, "<columns>9</columns>"), "AVERAGE, MIN and MAX of 3 sources");
	CHECK(strstr(b.s, "<entry>AVERAGE:host:h:a</entry><entry>AVERAGE:host:h:b</entry>"
			  "<entry>AVERAGE:host:h:c</entry><entry>MIN:host:h:a</entry>"),
	      "legend by archive, then data source");
	char *row0 = xport_row(b.s, 0), *row1 = xport_row(b.s, 1), *row2 = xport_row(b.s, 2);
	/* CDP ending T0+120: a = 13..24; T0+60: a = 1..12 (c known 1..9: 9 of 12). */
	CHECK(row0 && !strncmp(row0, "<t>1000140</t><v>18.5000</v><v>NaN</v><v>NaN</v>"
				     "<v>13.0000</v><v>NaN</v><v>NaN</v><v>24.0000</v>",
			       strlen("<t>1000140</t><v>18.5000</v><v>NaN</v><v>NaN</v>"
				      "<v>13.0000</v><v>NaN</v><v>NaN</v><v>24.0000</v>")),
	      "average, min, max of a minute: %s", row0 ? row0 : "");
	CHECK(row1 && !strncmp(row1, "<t>1000080</t><v>6.5000</v><v>NaN</v><v>1.0000</v>",
			       strlen("<t>1000080</t><v>6.5000</v><v>NaN</v><v>1.0000</v>")),
	      "a minute with 3 of 12 unknown is still averaged: %s", row1 ? row1 : "");
	CHECK(row2 && !strncmp(row2, "<t>1000020</t><v>NaN</v>", strlen("<t>1000020</t><v>NaN</v>")),
	      "a minute with 11 of 12 unknown is NaN (xff 0.5): %s", row2 ? row2 : "");
	free(row0);
	free(row1);
	free(row2);
	free(b.s);
	OK("1 min archives: CDPs aligned to the minute, AVERAGE/MIN/MAX, xff");
	rrd_free(r);
}

static void test_gap_and_late_source(void)
{
	rrd *r = rrd_new();
	rrd_sample s = { "x", 1, 0, 10 };
	rrd_update(r, T0, &s, 1);
	rrd_update(r, T0 + 20, &s, 1); /* three steps missed */
	rrd_sample two[2] = { { "x", 2, 0, 10 }, { "late", 7, 0, 10 } };
	rrd_update(r, T0 + 25, two, 2);
	const rrd *rs[] = { r };
	const char *px[] = { "vm:v:" };
	rrd_buf b = { 0 };
	CHECK(rrd_xport(rs, px, 1, -25, 0, RRD_AVERAGE, false, &b), "exports (relative start)");
	CHECK(strstr(b.s, "<rows>6</rows>"), "6 rows: %.200s", b.s);
	char *row0 = xport_row(b.s, 0), *row2 = xport_row(b.s, 2), *row5 = xport_row(b.s, 5);
	CHECK(row0 && !strcmp(row0, "<t>1000045</t><v>2.0000</v><v>7.0000</v>"), "new source: %s",
	      row0 ? row0 : "");
	CHECK(row2 && !strcmp(row2, "<t>1000035</t><v>NaN</v><v>NaN</v>"), "gap: %s",
	      row2 ? row2 : "");
	CHECK(row5 && !strcmp(row5, "<t>1000020</t><v>1.0000</v><v>NaN</v>"),
	      "the new source has no history: %s", row5 ? row5 : "");
	free(row0);
	free(row2);
	free(row5);
	free(b.s);
	OK("gaps give NaN rows; a data source appearing later has NaN history");
	rrd_free(r);
}

static void test_dumps(void)
{
	rrd *r = feed();
	rrd_buf b = { 0 };
	rrd_dump_xml(r, &b);
	CHECK(!strncmp(b.s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rrd><version>0003</version>"
			    "<step>5</step><lastupdate>1000195</lastupdate>",
		       strlen("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rrd><version>0003</version>"
			      "<step>5</step><lastupdate>1000195</lastupdate>")),
	      "header: %.160s", b.s);
	CHECK(count(b.s, "<ds><name>") == 3, "three data sources");
	CHECK(count(b.s, "<rra>") == 10, "ten archives");
	CHECK(count(b.s, "<row>") == 3 * 120 + 3 * 120 + 3 * 168 + 3 * 366 - 2 * 120,
	      "rows: 120 + 3x120 + 3x168 + 3x366 (%d)", count(b.s, "<row>"));
	CHECK(count(b.s, "<row>") == count(b.s, "</row>"), "balanced rows");
	free(b.s);

	b = (rrd_buf){ 0 };
	rrd_dump_json(r, &b);
	json_object *j = json_tokener_parse(b.s);
	CHECK(j != NULL, "the rrd JSON parses");
	json_object *rra;
	CHECK(j && json_object_object_get_ex(j, "rra", &rra) && json_object_array_length(rra) == 10,
	      "ten archives in JSON");
	json_object_put(j);
	free(b.s);

	const rrd *rs[] = { r, r };
	const char *px[] = { "host:h:", "vm:v:" };
	b = (rrd_buf){ 0 };
	CHECK(rrd_xport(rs, px, 2, T0, 0, RRD_AVERAGE, true, &b), "json xport");
	json_tokener *tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, b.s, (int)b.len);
	CHECK(j != NULL, "the xport JSON parses (NaN allowed as in xcp-rrd): %.200s", b.s);
	json_tokener_free(tok);
	json_object *meta, *legend, *data;
	CHECK(j && json_object_object_get_ex(j, "meta", &meta) &&
		      json_object_object_get_ex(meta, "legend", &legend) &&
		      json_object_array_length(legend) == 6,
	      "legend of two rrds");
	CHECK(j && json_object_object_get_ex(j, "data", &data) && json_object_array_length(data) == 36,
	      "36 rows");
	json_object_put(j);
	free(b.s);
	OK("rrd XML (version, step, lastupdate, ds, 10 rra with full databases), rrd JSON and "
	   "xport JSON are well formed");
	rrd_free(r);
}

/* rrd_save / rrd_load: the same dumps after a round trip and after
 * further updates of both; every truncation and a few corruptions of a
 * saved form refused. */
static void test_save_load(void)
{
	rrd *r = feed();
	rrd_buf saved = { 0 }, a = { 0 }, b = { 0 };
	rrd_save(r, &saved);
	rrd *l = rrd_load(saved.s, saved.len);
	CHECK(l != NULL, "a saved rrd loads (%zu bytes)", saved.len);
	if (!l) {
		rrd_free(r);
		free(saved.s);
		return;
	}
	rrd_dump_xml(r, &a);
	rrd_dump_xml(l, &b);
	CHECK(a.len == b.len && !memcmp(a.s, b.s, a.len), "the loaded rrd dumps the same XML");
	/* Both go on the same way (CDPs being built were kept). */
	for (int i = 0; i < 200; i++) {
		rrd_sample s[] = { { "a", (double)i, 0, INFINITY }, { "c", 1.5, 0, INFINITY } };
		rrd_update(r, T0 + 400 + 5 * i, s, 2);
		rrd_update(l, T0 + 400 + 5 * i, s, 2);
	}
	a.len = b.len = 0;
	rrd_dump_xml(r, &a);
	rrd_dump_xml(l, &b);
	CHECK(a.len == b.len && !memcmp(a.s, b.s, a.len), "and the same after 200 more samples");
	size_t bad = 0;
	for (size_t n = 0; n < saved.len; n += 1 + n / 64) {
		rrd *t = rrd_load(saved.s, n);
		bad += t == NULL;
		rrd_free(t);
	}
	size_t tried = 0;
	for (size_t n = 0; n < saved.len; n += 1 + n / 64)
		tried++;
	CHECK(bad == tried, "every truncated form refused (%zu of %zu)", bad, tried);
	char *c = malloc(saved.len + 1);
	memcpy(c, saved.s, saved.len);
	c[saved.len] = 'x';
	CHECK(rrd_load(c, saved.len + 1) == NULL, "trailing bytes refused");
	memcpy(c, saved.s, saved.len);
	c[0] = 'X';
	CHECK(rrd_load(c, saved.len) == NULL, "a bad magic refused");
	memcpy(c, saved.s, saved.len);
	c[8 + 8 + 8] = (char)0xff; /* data source count */
	CHECK(rrd_load(c, saved.len) == NULL, "a bad data source count refused");
	memcpy(c, saved.s, saved.len);
	c[8 + 8 + 8 + 8] = 9; /* archive count */
	CHECK(rrd_load(c, saved.len) == NULL, "a bad archive count refused");
	free(c);
	OK("rrd_save/rrd_load round trip (same XML now and after 200 more samples); "
	   "truncated, trailing, bad magic and bad counts refused");
	rrd_free(l);
	rrd_free(r);
	free(a.s);
	free(b.s);
	free(saved.s);
}

int main(void)
{
	test_finest();
	test_minute();
	test_gap_and_late_source();
	test_dumps();
	test_save_load();
	return check_done("xenops-rrd");
}
