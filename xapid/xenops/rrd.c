/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Round-robin databases and their XAPI exports (see rrd.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rrd.h"
#include "value.h"

struct rra_def {
	rrd_cf cf;
	int pdp;  /* PDPs per CDP */
	int rows;
};

/* Ordered by time covered (find_best relies on it). */
static const struct rra_def RRA_DEFS[] = {
	{ RRD_AVERAGE, 1, 120 },    { RRD_AVERAGE, 12, 120 },   { RRD_MIN, 12, 120 },
	{ RRD_MAX, 12, 120 },       { RRD_AVERAGE, 720, 168 },  { RRD_MIN, 720, 168 },
	{ RRD_MAX, 720, 168 },      { RRD_AVERAGE, 17280, 366 }, { RRD_MIN, 17280, 366 },
	{ RRD_MAX, 17280, 366 },
};
#define NRRA (sizeof(RRA_DEFS) / sizeof(RRA_DEFS[0]))
#define XFF 0.5
#define MAX_GAP_PDPS 2000
#define HEARTBEAT 300.0

struct ds {
	char *name;
	double min, max;
	double last;
};

struct rra {
	const struct rra_def *def;
	double **ring;   /* [ds][rows]; ring[d][head] is the newest CDP */
	int head;
	double *acc;     /* per ds, the CDP being built */
	int *known;      /* known PDPs in it */
	int64_t cdp_end; /* its end time; 0 when none is being built */
};

struct rrd {
	int64_t last_updated;
	int64_t last_pdp;
	size_t nds;
	struct ds *ds;
	struct rra rra[NRRA];
};

static const char *cf_name(rrd_cf cf)
{
	return cf == RRD_MIN ? "MIN" : cf == RRD_MAX ? "MAX" : "AVERAGE";
}

static double cf_init(rrd_cf cf)
{
	return cf == RRD_MIN ? INFINITY : cf == RRD_MAX ? -INFINITY : 0.0;
}

rrd *rrd_new(void)
{
	rrd *r = hx_calloc(1, sizeof(*r));
	for (size_t i = 0; i < NRRA; i++)
		r->rra[i].def = &RRA_DEFS[i];
	return r;
}

void rrd_free(rrd *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < NRRA; i++) {
		for (size_t d = 0; d < r->nds; d++)
			free(r->rra[i].ring[d]);
		free(r->rra[i].ring);
		free(r->rra[i].acc);
		free(r->rra[i].known);
	}
	for (size_t d = 0; d < r->nds; d++)
		free(r->ds[d].name);
	free(r->ds);
	free(r);
}

static size_t ds_index(const rrd *r, const char *name)
{
	for (size_t d = 0; d < r->nds; d++)
		if (!strcmp(r->ds[d].name, name))
			return d;
	return (size_t)-1;
}

static void ds_add(rrd *r, const rrd_sample *s)
{
	size_t d = r->nds++;
	r->ds = hx_realloc(r->ds, r->nds * sizeof(*r->ds));
	r->ds[d] = (struct ds){ hx_strdup(s->name), s->min, s->max, NAN };
	for (size_t i = 0; i < NRRA; i++) {
		struct rra *a = &r->rra[i];
		a->ring = hx_realloc(a->ring, r->nds * sizeof(*a->ring));
		a->ring[d] = hx_malloc((size_t)a->def->rows * sizeof(double));
		for (int k = 0; k < a->def->rows; k++)
			a->ring[d][k] = NAN;
		a->acc = hx_realloc(a->acc, r->nds * sizeof(*a->acc));
		a->known = hx_realloc(a->known, r->nds * sizeof(*a->known));
		a->acc[d] = cf_init(a->def->cf);
		a->known[d] = 0;
	}
}

static void cdp_finish(rrd *r, struct rra *a)
{
	a->head = (a->head + 1) % a->def->rows;
	for (size_t d = 0; d < r->nds; d++) {
		int unknown = a->def->pdp - a->known[d];
		double v;
		if (unknown > (int)(XFF * a->def->pdp) || !a->known[d])
			v = NAN;
		else if (a->def->cf == RRD_AVERAGE)
			v = a->acc[d] / a->known[d];
		else
			v = a->acc[d];
		a->ring[d][a->head] = v;
		a->acc[d] = cf_init(a->def->cf);
		a->known[d] = 0;
	}
	a->cdp_end = 0;
}

/* One PDP (the step ending at end) into every archive. */
static void pdp_push(rrd *r, int64_t end, const double *v)
{
	for (size_t i = 0; i < NRRA; i++) {
		struct rra *a = &r->rra[i];
		int64_t len = (int64_t)a->def->pdp * RRD_STEP;
		int64_t e = (end + len - 1) / len * len;
		if (a->cdp_end && a->cdp_end != e)
			cdp_finish(r, a); /* a gap skipped its end */
		a->cdp_end = e;
		for (size_t d = 0; d < r->nds; d++) {
			if (isnan(v[d]))
				continue;
			a->known[d]++;
			if (a->def->cf == RRD_AVERAGE)
				a->acc[d] += v[d];
			else if (a->def->cf == RRD_MIN)
				a->acc[d] = fmin(a->acc[d], v[d]);
			else
				a->acc[d] = fmax(a->acc[d], v[d]);
		}
		if (end == e)
			cdp_finish(r, a);
	}
}

void rrd_update(rrd *r, int64_t t, const rrd_sample *s, size_t n)
{
	int64_t end = t - t % RRD_STEP;
	if (end <= r->last_pdp)
		return;
	for (size_t i = 0; i < n; i++)
		if (ds_index(r, s[i].name) == (size_t)-1)
			ds_add(r, &s[i]);
	double *v = hx_malloc((r->nds ? r->nds : 1) * sizeof(double));
	for (size_t d = 0; d < r->nds; d++)
		v[d] = NAN;
	if (r->last_pdp) {
		int64_t gap = (end - r->last_pdp) / RRD_STEP - 1;
		if (gap > MAX_GAP_PDPS)
			gap = MAX_GAP_PDPS;
		for (int64_t k = gap; k >= 1; k--)
			pdp_push(r, end - k * RRD_STEP, v);
	}
	for (size_t i = 0; i < n; i++) {
		size_t d = ds_index(r, s[i].name);
		double x = s[i].value;
		v[d] = isnan(x) || x < r->ds[d].min || x > r->ds[d].max ? NAN : x;
	}
	pdp_push(r, end, v);
	for (size_t d = 0; d < r->nds; d++)
		r->ds[d].last = v[d];
	free(v);
	r->last_pdp = end;
	r->last_updated = t;
}

size_t rrd_ds_count(const rrd *r)
{
	return r->nds;
}

const char *rrd_ds_info(const rrd *r, size_t i, double *min, double *max, double *last)
{
	*min = r->ds[i].min;
	*max = r->ds[i].max;
	*last = r->ds[i].last;
	return r->ds[i].name;
}

double rrd_last(const rrd *r, const char *name)
{
	size_t d = ds_index(r, name);
	return d == (size_t)-1 ? NAN : r->ds[d].last;
}

int64_t rrd_last_updated(const rrd *r)
{
	return r->last_updated;
}

/* ---- output ------------------------------------------------------------------ */

void rrd_buf_printf(rrd_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = hx_realloc(b->s, b->cap);
	}
}

/* xcp-rrd's float format. */
static const char *f_to_s(double f, char buf[64])
{
	if (isnan(f))
		return "NaN";
	if (isinf(f))
		return f > 0 ? "Infinity" : "-Infinity";
	if (f == 0.0)
		return "0.0";
	snprintf(buf, 64, "%0.4f", f);
	return buf;
}

/* The i-th newest CDP of ds d (0: the newest). */
static double peek(const struct rra *a, size_t d, int i)
{
	int rows = a->def->rows;
	return a->ring[d][((a->head - i) % rows + rows) % rows];
}

void rrd_dump_xml(const rrd *r, rrd_buf *o)
{
	char b1[64], b2[64], b3[64];
	rrd_buf_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rrd><version>0003</version>"
			  "<step>%d</step><lastupdate>%lld</lastupdate>",
		       RRD_STEP, (long long)r->last_updated);
	for (size_t d = 0; d < r->nds; d++) {
		const struct ds *ds = &r->ds[d];
		rrd_buf_printf(o, "<ds><name>%s</name><type>GAUGE</type>"
				  "<minimal_heartbeat>%s</minimal_heartbeat><min>%s</min>"
				  "<max>%s</max><last_ds>",
			       ds->name, f_to_s(HEARTBEAT, b1), f_to_s(ds->min, b2),
			       f_to_s(ds->max, b3));
		rrd_buf_printf(o, "%s</last_ds><value>0.0</value><unknown_sec>0</unknown_sec></ds>",
			       f_to_s(ds->last, b1));
	}
	for (size_t i = 0; i < NRRA; i++) {
		const struct rra *a = &r->rra[i];
		rrd_buf_printf(o, "<rra><cf>%s</cf><pdp_per_row>%d</pdp_per_row>"
				  "<params><xff>%s</xff></params><cdp_prep>",
			       cf_name(a->def->cf), a->def->pdp, f_to_s(XFF, b1));
		for (size_t d = 0; d < r->nds; d++) {
			double v = a->def->cf == RRD_AVERAGE && a->known[d] ?
					   a->acc[d] / a->def->pdp :
					   a->known[d] ? a->acc[d] : NAN;
			rrd_buf_printf(o, "<ds><primary_value>0.0</primary_value>"
					  "<secondary_value>0.0</secondary_value><value>%s</value>"
					  "<unknown_datapoints>%d</unknown_datapoints></ds>",
				       f_to_s(v, b1), a->def->pdp - a->known[d]);
		}
		rrd_buf_printf(o, "</cdp_prep><database>");
		for (int row = a->def->rows - 1; r->nds && row >= 0; row--) {
			rrd_buf_printf(o, "<row>");
			for (size_t d = 0; d < r->nds; d++)
				rrd_buf_printf(o, "<v>%s</v>", f_to_s(peek(a, d, row), b1));
			rrd_buf_printf(o, "</row>");
		}
		rrd_buf_printf(o, "</database></rra>");
	}
	rrd_buf_printf(o, "</rrd>");
}

void rrd_dump_json(const rrd *r, rrd_buf *o)
{
	char b1[64], b2[64], b3[64];
	rrd_buf_printf(o, "{\"version\":\"0003\",\"step\":\"%d\",\"lastupdate\":\"%lld.0\",\"ds\":[",
		       RRD_STEP, (long long)r->last_updated);
	for (size_t d = 0; d < r->nds; d++) {
		const struct ds *ds = &r->ds[d];
		rrd_buf_printf(o, "%s{\"name\":\"%s\",\"type\":\"GAUGE\",\"minimal_heartbeat\":\"%s\","
				  "\"min\":\"%s\",\"max\":\"%s\",",
			       d ? "," : "", ds->name, f_to_s(HEARTBEAT, b1), f_to_s(ds->min, b2),
			       f_to_s(ds->max, b3));
		rrd_buf_printf(o, "\"last_ds\":\"%s\",\"value\":\"0.0\",\"unknown_sec\":\"0.0\"}",
			       f_to_s(ds->last, b1));
	}
	rrd_buf_printf(o, "],\"rra\":[");
	for (size_t i = 0; i < NRRA; i++) {
		const struct rra *a = &r->rra[i];
		rrd_buf_printf(o, "%s{\"cf\":\"%s\",\"pdp_per_row\":\"%d\",\"params\":{\"xff\":\"%s\"},"
				  "\"cdp_prep\":{\"ds\":[",
			       i ? "," : "", cf_name(a->def->cf), a->def->pdp, f_to_s(XFF, b1));
		for (size_t d = 0; d < r->nds; d++) {
			double v = a->def->cf == RRD_AVERAGE && a->known[d] ?
					   a->acc[d] / a->def->pdp :
					   a->known[d] ? a->acc[d] : NAN;
			rrd_buf_printf(o, "%s{\"primary_value\":\"0.0\",\"secondary_value\":\"0.0\","
					  "\"value\":\"%s\",\"unknown_datapoints\":\"%d\"}",
				       d ? "," : "", f_to_s(v, b1), a->def->pdp - a->known[d]);
		}
		rrd_buf_printf(o, "]},\"database\":[");
		for (int row = a->def->rows - 1; r->nds && row >= 0; row--) {
			rrd_buf_printf(o, "%s[", row == a->def->rows - 1 ? "" : ",");
			for (size_t d = 0; d < r->nds; d++)
				rrd_buf_printf(o, "%s\"%s\"", d ? "," : "",
					       f_to_s(peek(a, d, row), b1));
			rrd_buf_printf(o, "]");
		}
		rrd_buf_printf(o, "]}");
	}
	rrd_buf_printf(o, "]}");
}

/* xcp-rrd's choice of archives for a start time and a minimum PDP count:
 * the first archive (in time-covered order) with at least pdp_interval
 * PDPs per row that still holds start, and every archive shaped like it;
 * else the ones shaped like the longest. Fills sel (indices). */
static size_t find_best(const rrd *r, int pdp_interval, int cf, int64_t start, size_t *sel)
{
	size_t cand[NRRA], nc = 0, n = 0;
	for (size_t i = 0; i < NRRA; i++)
		if (cf < 0 || (int)RRA_DEFS[i].cf == cf)
			cand[nc++] = i;
	if (!nc)
		return 0;
	int64_t last_pdp = r->last_updated - r->last_updated % RRD_STEP;
#define CONTAINS(t, d) \
	((d)->pdp >= pdp_interval && (t) > last_pdp - (int64_t)RRD_STEP * (d)->rows * (d)->pdp)
	const struct rra_def *first = NULL;
	for (size_t k = 0; k < nc && !first; k++)
		if (CONTAINS(start, &RRA_DEFS[cand[k]]))
			first = &RRA_DEFS[cand[k]];
	if (!first) {
		const struct rra_def *last = &RRA_DEFS[cand[nc - 1]];
		int64_t newstart = 1 + last_pdp - (int64_t)RRD_STEP * last->rows * last->pdp;
		for (size_t k = 0; k < nc; k++)
			if (CONTAINS(newstart, &RRA_DEFS[cand[k]]))
				sel[n++] = cand[k];
		return n;
	}
#undef CONTAINS
	for (size_t k = 0; k < nc; k++)
		if (RRA_DEFS[cand[k]].pdp == first->pdp && RRA_DEFS[cand[k]].rows == first->rows)
			sel[n++] = cand[k];
	return n;
}

bool rrd_xport(const rrd *const *rrds, const char *const *prefixes, size_t n, int64_t start,
	       int64_t interval, int cf, bool json, rrd_buf *o)
{
	if (!n)
		return false;
	if (start < 0) {
		int64_t s = INT64_MAX;
		for (size_t i = 0; i < n; i++)
			if (rrds[i]->last_updated + start < s)
				s = rrds[i]->last_updated + start;
		start = s;
	}
	int pdp_interval = interval > 0 ? (int)(interval / RRD_STEP) : 0;
	size_t (*sel)[NRRA] = hx_calloc(n, sizeof(*sel));
	size_t *nsel = hx_calloc(n, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		nsel[i] = find_best(rrds[i], pdp_interval, cf, start, sel[i]);
	if (!nsel[0]) {
		free(sel);
		free(nsel);
		return false;
	}
	const struct rra_def *first = &RRA_DEFS[sel[0][0]];
	/* Archives shaped unlike the first one's are dropped (as xcp-rrd). */
	size_t columns = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (size_t j = 0; j < nsel[i]; j++)
			if (RRA_DEFS[sel[i][j]].pdp == first->pdp &&
			    RRA_DEFS[sel[i][j]].rows == first->rows)
				sel[i][k++] = sel[i][j];
		nsel[i] = k;
		columns += k * rrds[i]->nds;
	}
	int64_t step = (int64_t)RRD_STEP * first->pdp;
	int64_t last_cdp = rrds[0]->last_updated / step * step;
	int64_t first_cdp = (start >= 0 ? start / step : (start - step + 1) / step) * step + step;
	size_t nrows = 0;
	for (int i = 0; i < first->rows && last_cdp - (int64_t)i * step >= start; i++)
		nrows++;

	char b[64];
	if (json)
		rrd_buf_printf(o, "{\"meta\":{\"start\":%lld,\"step\":%lld,\"end\":%lld,\"rows\":%zu,"
				  "\"columns\":%zu,\"legend\":[",
			       (long long)first_cdp, (long long)step, (long long)last_cdp, nrows,
			       columns);
	else
		rrd_buf_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><xport><meta>"
				  "<start>%lld</start><step>%lld</step><end>%lld</end>"
				  "<rows>%zu</rows><columns>%zu</columns><legend>",
			       (long long)first_cdp, (long long)step, (long long)last_cdp, nrows,
			       columns);
	bool comma = false;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < nsel[i]; j++)
			for (size_t d = 0; d < rrds[i]->nds; d++) {
				const char *c = cf_name(RRA_DEFS[sel[i][j]].cf);
				if (json)
					rrd_buf_printf(o, "%s\"%s:%s%s\"", comma ? "," : "", c,
						       prefixes[i], rrds[i]->ds[d].name);
				else
					rrd_buf_printf(o, "<entry>%s:%s%s</entry>", c, prefixes[i],
						       rrds[i]->ds[d].name);
				comma = true;
			}
	rrd_buf_printf(o, json ? "]},\"data\":[" : "</legend></meta><data>");
	for (size_t row = 0; row < nrows; row++) {
		int64_t t = last_cdp - (int64_t)row * step;
		if (json)
			rrd_buf_printf(o, "%s{\"t\":%lld,\"values\":[", row ? "," : "", (long long)t);
		else
			rrd_buf_printf(o, "<row><t>%lld</t>", (long long)t);
		comma = false;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < nsel[i]; j++)
				for (size_t d = 0; d < rrds[i]->nds; d++) {
					const char *v = f_to_s(
						peek(&rrds[i]->rra[sel[i][j]], d, (int)row), b);
					if (json)
						rrd_buf_printf(o, "%s%s", comma ? "," : "", v);
					else
						rrd_buf_printf(o, "<v>%s</v>", v);
					comma = true;
				}
		rrd_buf_printf(o, json ? "]}" : "</row>");
	}
	rrd_buf_printf(o, json ? "]}" : "</data></xport>");
	free(sel);
	free(nsel);
	return true;
}

/* ---- the saved form (rrd_save / rrd_load) ---------------------------------- */

#define SAVE_MAGIC "HXRRD\0\0\1"
#define SAVE_MAX_DS 4096
#define SAVE_MAX_NAME 255

static void put_bytes(rrd_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = hx_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Little-endian, whatever the host. */
static void put_u64(rrd_buf *b, uint64_t v)
{
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put_bytes(b, x, 8);
}

static void put_f64(rrd_buf *b, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	put_u64(b, v);
}

void rrd_save(const rrd *r, rrd_buf *out)
{
	put_bytes(out, SAVE_MAGIC, 8);
	put_u64(out, (uint64_t)r->last_updated);
	put_u64(out, (uint64_t)r->last_pdp);
	put_u64(out, r->nds);
	put_u64(out, NRRA);
	for (size_t d = 0; d < r->nds; d++) {
		size_t len = strlen(r->ds[d].name);
		put_u64(out, len);
		put_bytes(out, r->ds[d].name, len);
		put_f64(out, r->ds[d].min);
		put_f64(out, r->ds[d].max);
		put_f64(out, r->ds[d].last);
	}
	for (size_t i = 0; i < NRRA; i++) {
		const struct rra *a = &r->rra[i];
		put_u64(out, (uint64_t)a->head);
		put_u64(out, (uint64_t)a->cdp_end);
		for (size_t d = 0; d < r->nds; d++) {
			put_f64(out, a->acc[d]);
			put_u64(out, (uint64_t)a->known[d]);
			for (int k = 0; k < a->def->rows; k++)
				put_f64(out, a->ring[d][k]);
		}
	}
}

struct reader {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static uint64_t get_u64(struct reader *rd)
{
	if (rd->left < 8) {
		rd->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)rd->p[i] << (8 * i);
	rd->p += 8;
	rd->left -= 8;
	return v;
}

static double get_f64(struct reader *rd)
{
	uint64_t v = get_u64(rd);
	double d;
	memcpy(&d, &v, 8);
	return d;
}

rrd *rrd_load(const void *data, size_t len)
{
	struct reader rd = { data, len, false };
	if (len < 8 || memcmp(data, SAVE_MAGIC, 8))
		return NULL;
	rd.p += 8;
	rd.left -= 8;
	rrd *r = rrd_new();
	int64_t last_updated = (int64_t)get_u64(&rd), last_pdp = (int64_t)get_u64(&rd);
	uint64_t nds = get_u64(&rd), nrra = get_u64(&rd);
	if (rd.bad || nds > SAVE_MAX_DS || nrra != NRRA || last_updated < 0 || last_pdp < 0)
		goto bad;
	for (uint64_t d = 0; d < nds; d++) {
		uint64_t nl = get_u64(&rd);
		if (rd.bad || nl == 0 || nl > SAVE_MAX_NAME || nl > rd.left || memchr(rd.p, 0, nl))
			goto bad;
		char name[SAVE_MAX_NAME + 1];
		memcpy(name, rd.p, nl);
		name[nl] = '\0';
		rd.p += nl;
		rd.left -= nl;
		if (ds_index(r, name) != (size_t)-1)
			goto bad;
		rrd_sample s = { name, NAN, 0, 0 };
		s.min = get_f64(&rd);
		s.max = get_f64(&rd);
		double last = get_f64(&rd);
		if (rd.bad)
			goto bad;
		ds_add(r, &s);
		r->ds[r->nds - 1].last = last;
	}
	for (size_t i = 0; i < NRRA; i++) {
		struct rra *a = &r->rra[i];
		uint64_t head = get_u64(&rd), cdp_end = get_u64(&rd);
		if (rd.bad || head >= (uint64_t)a->def->rows || cdp_end > INT64_MAX)
			goto bad;
		a->head = (int)head;
		a->cdp_end = (int64_t)cdp_end;
		for (size_t d = 0; d < r->nds; d++) {
			a->acc[d] = get_f64(&rd);
			uint64_t known = get_u64(&rd);
			if (rd.bad || known > (uint64_t)a->def->pdp)
				goto bad;
			a->known[d] = (int)known;
			for (int k = 0; k < a->def->rows; k++)
				a->ring[d][k] = get_f64(&rd);
			if (rd.bad)
				goto bad;
		}
	}
	if (rd.left)
		goto bad;
	r->last_updated = last_updated;
	r->last_pdp = last_pdp;
	return r;
bad:
	rrd_free(r);
	return NULL;
}
