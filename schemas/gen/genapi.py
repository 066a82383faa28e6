#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the XenAPI C tables (api_gen.c, api_ids.h) from the datamodel.

Input:  schemas/xenapi/datamodel.json (the trimmed copy written by import.py)
Output: api_gen.c   -- everything xapid/api/meta.h declares
        api_ids.h   -- CLS_/FLD_/ENUM_/MSG_ index constants and counts

Usage:  genapi.py DATAMODEL.json OUT_api_gen.c OUT_api_ids.h [--report]

Everything here is checked against the data: an unknown class or enum in a
type, an accessor message that does not name a field, a constructor field
that does not exist, an error code that is not declared... all abort the
build with a message instead of producing a silently wrong table.
--report prints what was derived (relations kept stored, messages without
roles, special types) to stderr.
"""

import hashlib
import json
import re
import sys

ROLES = ['pool-admin', 'pool-operator', 'vm-power-admin', 'vm-admin',
         'vm-operator', 'client-cert', 'read-only']
ROLE_ENUM = ['ROLE_POOL_ADMIN', 'ROLE_POOL_OPERATOR', 'ROLE_VM_POWER_ADMIN',
             'ROLE_VM_ADMIN', 'ROLE_VM_OPERATOR', 'ROLE_CLIENT_CERT',
             'ROLE_READ_ONLY']

KINDS = {
    'custom': 'MK_CUSTOM',
    'field_getter': 'MK_FIELD_GETTER',
    'field_setter': 'MK_FIELD_SETTER',
    'field_add': 'MK_FIELD_ADD',
    'field_remove': 'MK_FIELD_REMOVE',
    'constructor': 'MK_CONSTRUCTOR',
    'destructor': 'MK_DESTRUCTOR',
    'get_by_uuid': 'MK_GET_BY_UUID',
    'get_by_name_label': 'MK_GET_BY_NAME_LABEL',
    'get_record': 'MK_GET_RECORD',
    'get_all': 'MK_GET_ALL',
    'get_all_where': 'MK_GET_ALL_WHERE',
    'get_all_records_where': 'MK_GET_ALL_RECORDS_WHERE',
    'get_all_records': 'MK_GET_ALL_RECORDS',
}

QUALS = {'RW': 'Q_RW', 'RO/constructor': 'Q_RO_CONSTRUCTOR',
         'RO/runtime': 'Q_RO_RUNTIME'}

# The class Halyard keeps in SQLite although the datamodel says in_database
# false (XAPI keeps messages in files; we keep them in the store).
EXTRA_TABLES = {'message'}

IDENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


class GenError(Exception):
    pass


def die(msg):
    raise GenError(msg)


def c_str(s):
    """A C string literal for s (or NULL for None)."""
    if s is None:
        return 'NULL'
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '\\"':
            out.append('\\' + ch)
        elif ch == '?':
            out.append('\\?')  # never form a trigraph
        elif 0x20 <= o < 0x7f:
            out.append(ch)
        else:
            for b in ch.encode('utf-8'):
                out.append('\\%03o' % b)
    out.append('"')
    return ''.join(out)


def bool_c(b):
    return 'true' if b else 'false'


def role_mask(roles):
    m = 0
    for r in roles or []:
        if r not in ROLES:
            die('unknown role %r' % r)
        m |= 1 << ROLES.index(r)
    return m


def ascii_lower(s):
    return ''.join(chr(ord(c) + 32) if 'A' <= c <= 'Z' else c for c in s)


# ---------------------------------------------------------------- types

class Types:
    """Parses datamodel type strings and interns one api_type per string."""

    def __init__(self, classes, enums):
        self.cls = {c: i for i, c in enumerate(classes)}
        self.enm = {e: i for i, e in enumerate(enums)}
        self.order = []    # type texts, children before parents
        self.info = {}     # text -> (kind, cls, enm, key_text, elem_text)
        self.special = {}  # text -> why it is approximated

    def get(self, text):
        """Returns the C name of the api_type for text, creating it."""
        if text not in self.info:
            self.info[text] = self._parse(text)
            self.order.append(text)
        return 'T%d' % self.order.index(text)

    def cname(self, text):
        return 'T%d' % self.order.index(text)

    def _parse(self, t):
        prim = {'void': 'AT_VOID', 'string': 'AT_STRING', 'int': 'AT_INT',
                'float': 'AT_FLOAT', 'bool': 'AT_BOOL',
                'datetime': 'AT_DATETIME'}
        if t in prim:
            return (prim[t], -1, -1, None, None)
        if t.endswith(' set'):
            inner = t[:-4]
            self.get(inner)
            return ('AT_SET', -1, -1, None, inner)
        if t.endswith(' option'):
            inner = t[:-7]
            self.get(inner)
            return ('AT_OPTION', -1, -1, None, inner)
        if t.endswith(' map') and t.startswith('('):
            body = t[1:-4]
            if not body.endswith(')'):
                die('bad map type %r' % t)
            body = body[:-1]
            depth = 0
            for i, ch in enumerate(body):
                if ch == '(':
                    depth += 1
                elif ch == ')':
                    depth -= 1
                elif depth == 0 and body.startswith(' -> ', i):
                    k, v = body[:i], body[i + 4:]
                    self.get(k)
                    self.get(v)
                    return ('AT_MAP', -1, -1, k, v)
            die('bad map type %r' % t)
        if t.startswith('enum '):
            name = t[5:]
            if name not in self.enm:
                die('unknown enum in type %r' % t)
            return ('AT_ENUM', -1, self.enm[name], None, None)
        m = re.fullmatch(r'(\S+) (ref|record)', t)
        if m:
            name, what = m.groups()
            kind = 'AT_REF' if what == 'ref' else 'AT_RECORD'
            if name == '<class>':
                # event.snapshot: the record of whichever class the event is
                # about. cls = -1 means "any class".
                self.special[t] = 'record of any class (cls = -1)'
                return (kind, -1, -1, None, None)
            if name not in self.cls:
                die('type %r names unknown class %r' % (t, name))
            return (kind, self.cls[name], -1, None, None)
        if t.startswith('event batch'):
            # event.from's result: a struct {events, valid_ref_counts,
            # token}. meta.h has no struct kind; approximate as a record of
            # no particular class.
            self.special[t] = 'struct with no class; AT_RECORD, cls = -1'
            return ('AT_RECORD', -1, -1, None, None)
        die('cannot parse type %r' % t)

    def emit(self, out):
        for i, t in enumerate(self.order):
            kind, cls, enm, k, v = self.info[t]
            out.append('static const api_type T%d = { %s, %d, %d, %s, %s, %s };'
                       % (i, kind, cls, enm,
                          '&' + self.cname(k) if k else 'NULL',
                          '&' + self.cname(v) if v else 'NULL', c_str(t)))


# ---------------------------------------------------------------- defaults

def default_json(typ, val, types):
    """The JSON text of a datamodel default_value, maps as JSON objects."""
    def conv(t, v):
        kind, _, _, k, e = types.info[t]
        if kind == 'AT_MAP':
            obj = {}
            for pair in v:
                key = conv(k, pair[0])
                obj[key if isinstance(key, str) else json.dumps(key)] = conv(e, pair[1])
            return obj
        if kind == 'AT_SET':
            return [conv(e, x) for x in v]
        if kind == 'AT_OPTION':
            return None if v is None else conv(e, v)
        if kind == 'AT_INT':
            if not isinstance(v, int) or isinstance(v, bool):
                die('int default %r' % (v,))
            return v
        if kind == 'AT_FLOAT':
            return float(v)
        if kind == 'AT_BOOL':
            if not isinstance(v, bool):
                die('bool default %r' % (v,))
            return v
        if not isinstance(v, str):
            die('string-like default %r for %s' % (v, t))
        return v
    types.get(typ)
    return json.dumps(conv(typ, val), sort_keys=False, ensure_ascii=False,
                      separators=(',', ':'))


# ---------------------------------------------------------------- model

def affinity(types, t):
    kind = types.info[t][0]
    if kind in ('AT_STRING', 'AT_ENUM', 'AT_REF'):
        return 'TEXT'
    if kind in ('AT_INT', 'AT_BOOL', 'AT_DATETIME'):
        return 'INTEGER'
    if kind == 'AT_FLOAT':
        return 'REAL'
    return 'TEXT'  # set, map, record, option: JSON text


def sql_quote(name):
    return '"' + name.replace('"', '""') + '"'


class Model:
    def __init__(self, dm):
        self.dm = dm
        self.classes = dm['classes']
        self.cidx = {c['name']: i for i, c in enumerate(self.classes)}
        self.enums = dm['enums']
        self.types = Types([c['name'] for c in self.classes],
                           [e['name'] for e in self.enums])
        self.fidx = [{f['name']: j for j, f in enumerate(c['fields'])}
                     for c in self.classes]
        self.errors = {e['name'] for e in dm['errors']}
        self.report = []
        self.derived = {}   # (cls, field) -> (ref_cls, ref_field)
        self.sql = {}
        self._check_roles()
        self._relations()
        for ci, c in enumerate(self.classes):
            for f in c['fields']:
                self.types.get(f['type'])
        for ci, c in enumerate(self.classes):
            if c['in_database'] or c['name'] in EXTRA_TABLES:
                self.sql[ci] = self._sql_create(ci)

    def _check_roles(self):
        names = [r['name'] for r in self.dm['roles']]
        if names != ROLES:
            die('datamodel roles %r differ from meta.h enum api_role' % names)

    def field_type(self, ci, fname):
        return self.classes[ci]['fields'][self.fidx[ci][fname]]['type']

    def _relations(self):
        for r in self.dm['relations']:
            rc, rf, sc, sf = r['ref_class'], r['ref_field'], r['set_class'], r['set_field']
            for c, f in ((rc, rf), (sc, sf)):
                if c not in self.cidx or f not in self.fidx[self.cidx[c]]:
                    die('relation names unknown field %s.%s' % (c, f))
            rci, sci = self.cidx[rc], self.cidx[sc]
            rt, st = self.field_type(rci, rf), self.field_type(sci, sf)
            single = rt == '%s ref' % sc
            setside = st == '%s ref set' % rc
            why = None
            if not setside:
                why = 'set side %s.%s is %r, not "%s ref set"' % (sc, sf, st, rc)
            elif not single:
                why = 'ref side %s.%s is %r (not a single ref): many-to-many' % (rc, rf, rt)
            elif not (self.classes[rci]['in_database'] and self.classes[sci]['in_database']):
                why = 'a class is not in the database'
            elif (sci, self.fidx[sci][sf]) in self.derived:
                why = 'set field already derived from another relation'
            if why:
                self.report.append('relation %s.%s <-> %s.%s kept STORED: %s'
                                   % (rc, rf, sc, sf, why))
                continue
            self.derived[(sci, self.fidx[sci][sf])] = (rci, self.fidx[rci][rf])

    def stored_fields(self, ci):
        return [f for j, f in enumerate(self.classes[ci]['fields'])
                if (ci, j) not in self.derived and not f.get('pseudo')]

    def _sql_create(self, ci):
        c = self.classes[ci]
        t = sql_quote(c['name'])
        cols = ['_ref TEXT PRIMARY KEY', '_gen INTEGER NOT NULL',
                '_cgen INTEGER NOT NULL']
        idx = ['_gen']
        for f in self.stored_fields(ci):
            self.types.get(f['type'])
            cols.append('%s %s' % (sql_quote(f['name']), affinity(self.types, f['type'])))
            kind = self.types.info[f['type']][0]
            if f['name'] in ('uuid', 'name_label') or kind == 'AT_REF':
                idx.append(f['name'])
        stmts = ['CREATE TABLE IF NOT EXISTS %s (%s)' % (t, ', '.join(cols))]
        for col in idx:
            # Index names share SQLite's namespace with tables: "VM_metrics"
            # (an index on VM.metrics) would clash with the VM_metrics
            # table, so every index is "<Class>__<column>".
            iname = '%s__%s' % (c['name'], col.lstrip('_'))
            colq = col if col == '_gen' else sql_quote(col)
            stmts.append('CREATE INDEX IF NOT EXISTS %s ON %s(%s)'
                         % (sql_quote(iname), t, colq))
        return ';\n'.join(stmts) + ';'

    def schema_hash(self):
        h = hashlib.sha256()
        for ci in sorted(self.sql):
            h.update(self.classes[ci]['name'].encode() + b'\0')
            h.update(self.sql[ci].encode() + b'\0')
        return h.hexdigest()

    def msg_field(self, ci, m):
        """Field index that a field_* message accesses (-1 for other kinds)."""
        kind, name = m['kind'], m['name']
        fields = self.fidx[ci]
        cands = []
        if kind == 'field_getter' and name.startswith('get_'):
            cands = [(name[4:], None)]
        elif kind == 'field_setter' and name.startswith('set_'):
            cands = [(name[4:], None)]
        elif kind == 'field_add':
            if name.startswith('add_to_'):
                cands.append((name[7:], 'AT_MAP'))
            if name.startswith('add_'):
                cands.append((name[4:], 'AT_SET'))
        elif kind == 'field_remove':
            if name.startswith('remove_from_'):
                cands.append((name[12:], 'AT_MAP'))
            if name.startswith('remove_'):
                cands.append((name[7:], 'AT_SET'))
        else:
            return -1
        hits = []
        for fname, want in cands:
            if fname in fields:
                ftype = self.classes[ci]['fields'][fields[fname]]['type']
                self.types.get(ftype)
                if want is None or self.types.info[ftype][0] == want:
                    hits.append(fields[fname])
        if len(hits) != 1:
            die('%s (%s): cannot resolve the field (candidates %r)'
                % (m['wire_name'], kind, hits))
        return hits[0]

    def custom_accessor(self, ci, m):
        """(kind, field) for a custom message that is really an accessor.

        The datamodel marks some accessors custom only so that XAPI can give
        map keys their own roles (VM.add_to_other_config, VM.set_other_config
        …). Unless a handler overrides them they behave as the implicit
        accessor of the field their name gives; None for other messages.
        """
        if m['kind'] != 'custom':
            return None
        params = [p for p in m['params'] if p['name'] != 'session_id'] if m['session'] \
            else m['params']
        if not params or not params[0]['type'].endswith(' ref'):
            return None
        forms = (('get_', 'MK_FIELD_GETTER', None, 1), ('set_', 'MK_FIELD_SETTER', None, 2),
                 ('add_to_', 'MK_FIELD_ADD', 'AT_MAP', 3),
                 ('remove_from_', 'MK_FIELD_REMOVE', 'AT_MAP', 2),
                 ('add_', 'MK_FIELD_ADD', 'AT_SET', 2), ('remove_', 'MK_FIELD_REMOVE', 'AT_SET', 2))
        for prefix, kind, want, nparams in forms:
            fname = m['name'][len(prefix):]
            if not m['name'].startswith(prefix) or fname not in self.fidx[ci]:
                continue
            ftype = self.classes[ci]['fields'][self.fidx[ci][fname]]['type']
            self.types.get(ftype)
            if want and self.types.info[ftype][0] != want:
                continue
            if len(params) == nparams:
                return kind, self.fidx[ci][fname]
        return None


# ---------------------------------------------------------------- emit C

def gen(dm, out_c, out_h, report=False):
    M = Model(dm)
    T = M.types
    classes = M.classes
    body = []   # definitions after the types
    decl = []   # weak externs

    # enums
    for i, e in enumerate(M.enums):
        body.append('static const char *const E%d_v[] = { %s };'
                    % (i, ', '.join(c_str(v) for v in e['values'])))
    body.append('const api_enum api_enums[] = {')
    for i, e in enumerate(M.enums):
        body.append('\t{ %s, E%d_v, %d },' % (c_str(e['name']), i, len(e['values'])))
    body.append('};')
    body.append('const int api_nenums = %d;' % len(M.enums))

    # map_keys_roles arrays, deduplicated
    mkr_names = {}

    def mkr(d):
        if not d:
            return 'NULL'
        key = tuple(sorted((k, role_mask(v)) for k, v in d.items()))
        if key not in mkr_names:
            n = 'MKR%d' % len(mkr_names)
            mkr_names[key] = n
            body.append('static const api_map_key_roles %s[] = { %s{ NULL, 0 } };'
                        % (n, ''.join('{ %s, 0x%xu }, ' % (c_str(k), r) for k, r in key)))
        return mkr_names[key]

    # fields and classes
    for ci, c in enumerate(classes):
        rows = []
        for j, f in enumerate(c['fields']):
            tn = T.get(f['type'])
            dj = default_json(f['type'], f['default_value'], T) if 'default_value' in f else None
            rel = M.derived.get((ci, j), (-1, -1))
            lc = f.get('lifecycle')
            rows.append('\t{ %s, &%s, %s, %s, %s, %s, 0x%xu, 0x%xu, %d, %d, %s, %s, %s },'
                        % (c_str(f['name']), tn, QUALS[f['qualifier']],
                           bool_c(f['persist']), bool_c(f['internal_only']), c_str(dj),
                           role_mask(f['getter_roles']), role_mask(f['setter_roles']),
                           rel[0], rel[1], mkr(f.get('map_keys_roles')),
                           bool_c(lc == 'Removed_s'), bool_c(lc == 'Deprecated_s')))
        body.append('static const api_field C%d_f[] = {' % ci)
        body.extend(rows or ['\t{ 0 },'])
        body.append('};')
    body.append('const api_class api_classes[] = {')
    for ci, c in enumerate(classes):
        fi = M.fidx[ci]
        body.append('\t{ %s, %s, %s, %s, %s, %s, C%d_f, %d, %d, %d, 0x%xu, %s },'
                    % (c_str(c['name']), c_str(ascii_lower(c['name'])),
                       bool_c(c['in_database']),
                       # message lives outside XAPI's DB but persists there too
                       bool_c(c['persist'] or (not c['in_database'] and ci in M.sql)),
                       bool_c(c['gen_events']), bool_c(c['gen_constructor_destructor']),
                       ci, len(c['fields']), fi.get('uuid', -1), fi.get('name_label', -1),
                       role_mask(c['allowed_roles']),
                       c_str(M.sql.get(ci)) if ci in M.sql else 'NULL'))
    body.append('};')
    body.append('const int api_nclasses = %d;' % len(classes))

    # messages
    err_lists = {}
    norole = []
    msgs = []
    for ci, c in enumerate(classes):
        for m in c['messages']:
            msgs.append((ci, m))
    mrows = []
    for mi, (ci, m) in enumerate(msgs):
        c = classes[ci]
        if m['wire_name'] != '%s.%s' % (c['name'], m['name']):
            die('wire name %r is not Class.name' % m['wire_name'])
        params = m['params']
        if m['session']:
            if not params or params[0]['name'] != 'session_id' or params[0]['type'] != 'session ref':
                die('%s: session flag without a leading session_id' % m['wire_name'])
            params = params[1:]
        seen_default = False
        prow = []
        for p in params:
            tn = T.get(p['type'])
            if p['required']:
                if seen_default:
                    die('%s: required param after a defaulted one' % m['wire_name'])
                dj = None
            else:
                seen_default = True
                if 'default_value' not in p:
                    die('%s: optional param %s without default' % (m['wire_name'], p['name']))
                try:
                    dj = default_json(p['type'], p['default_value'], T)
                except GenError as ex:
                    # A default that does not fit its type (host.create's
                    # latest_synced_updates_applied: [] for an enum): use
                    # the default of the class field of that name.
                    fj = M.fidx[ci].get(p['name'])
                    f = c['fields'][fj] if fj is not None else None
                    if not f or f['type'] != p['type'] or 'default_value' not in f:
                        raise
                    dj = default_json(f['type'], f['default_value'], T)
                    M.report.append('%s: param %s default %r does not fit %r (%s); '
                                    'using the field default %s'
                                    % (m['wire_name'], p['name'], p['default_value'],
                                       p['type'], ex, dj))
            prow.append('{ %s, &%s, %s, %s }' % (c_str(p['name']), tn,
                                                bool_c(p['required']), c_str(dj)))
        if prow:
            body.append('static const api_param M%d_p[] = { %s };' % (mi, ', '.join(prow)))
        nreq = sum(1 for p in params if p['required'])
        # errors
        for e in m['errors']:
            if e not in M.errors:
                die('%s raises undeclared error %s' % (m['wire_name'], e))
        ekey = tuple(m['errors'])
        if ekey not in err_lists:
            en = 'EL%d' % len(err_lists)
            err_lists[ekey] = en
            body.append('static const char *const %s[] = { %sNULL };'
                        % (en, ''.join(c_str(e) + ', ' for e in ekey)))
        # constructor
        ctor = 'NULL'
        nctor = 0
        if m['kind'] == 'constructor':
            crf = m.get('constructor_record_fields')
            if crf is None:
                die('%s: constructor without constructor_record_fields' % m['wire_name'])
            cf = []
            for x in crf:
                if x['name'] not in M.fidx[ci]:
                    die('%s: constructor field %s unknown' % (m['wire_name'], x['name']))
                cf.append('{ %d, %s }' % (M.fidx[ci][x['name']], bool_c(x['required'])))
            body.append('static const api_ctor_field M%d_c[] = { %s };' % (mi, ', '.join(cf)))
            ctor, nctor = 'M%d_c' % mi, len(cf)
        if not m['roles']:
            norole.append(m['wire_name'])
        min_role = m['min_role']
        if min_role is not None and min_role not in ROLES:
            die('%s: unknown min_role %r' % (m['wire_name'], min_role))
        if m['kind'] not in KINDS:
            die('%s: unknown kind %r' % (m['wire_name'], m['kind']))
        handler = 'op_%s_%s' % (c['name'], m['name'])
        if not IDENT.match(handler):
            die('%s: handler name %r is not an identifier' % (m['wire_name'], handler))
        decl.append('extern struct xerr *%s(struct call_ctx *, const struct api_msg *, '
                    'struct xv *const *, struct xv **) __attribute__((weak));' % handler)
        lc = m.get('lifecycle')
        acc = M.custom_accessor(ci, m)
        mrows.append(
            '\t{ .wire_name = %s, .name = %s, .cls = %d, .kind = %s, .field = %d,\n'
            '\t  .implicit_kind = %s, .implicit_field = %d,\n'
            '\t  .params = %s, .nparams = %d, .nrequired = %d, .result = &%s,\n'
            '\t  .roles = 0x%xu, .min_role = %s, .async = %s, .session = %s,\n'
            '\t  .hidden = %s, .pool_internal = %s, .secret = %s, .has_effect = %s,\n'
            '\t  .removed = %s, .ctor_fields = %s, .nctor_fields = %d,\n'
            '\t  .map_keys_roles = %s, .errors = %s, .handler = %s },'
            % (c_str(m['wire_name']), c_str(m['name']), ci, KINDS[m['kind']],
               M.msg_field(ci, m), acc[0] if acc else 'MK_CUSTOM', acc[1] if acc else -1, 'M%d_p' % mi if prow else 'NULL', len(params), nreq,
               T.get(m['result']), role_mask(m['roles']),
               ROLE_ENUM[ROLES.index(min_role)] if min_role else 'ROLE_POOL_ADMIN',
               bool_c(m['async']), bool_c(m['session']), bool_c(m['hidden']),
               bool_c(m['pool_internal']), bool_c(m['secret']), bool_c(m['has_effect']),
               bool_c(lc == 'Removed_s'), ctor, nctor, mkr(m.get('map_keys_roles')),
               err_lists[ekey], handler))
    if len({h for h in decl}) != len(decl):
        die('op_<Class>_<msg> handler names are not unique')
    body.append('const api_msg api_msgs[] = {')
    body.extend(mrows)
    body.append('};')
    body.append('const int api_nmsgs = %d;' % len(msgs))

    # errors
    for i, e in enumerate(dm['errors']):
        body.append('static const char *const ER%d_p[] = { %sNULL };'
                    % (i, ''.join(c_str(p) + ', ' for p in e['params'] or [])))
    body.append('const api_error api_errors[] = {')
    for i, e in enumerate(dm['errors']):
        body.append('\t{ %s, ER%d_p, %d, %s },' % (c_str(e['name']), i, len(e['params'] or []),
                                                 bool_c(e['documented'])))
    body.append('};')
    body.append('const int api_nerrors = %d;' % len(dm['errors']))

    # emergency calls: check they name messages
    wires = {m['wire_name'] for _, m in msgs}
    for w in dm['emergency_calls']:
        if w not in wires:
            die('emergency call %s is not a message' % w)
    body.append('const char *const api_emergency_calls[] = { %sNULL };'
                % ''.join(c_str(w) + ', ' for w in dm['emergency_calls']))
    av, sv = dm['api_version'], dm['schema_version']
    body.append('const int api_version_major = %d, api_version_minor = %d;'
                % (av['major'], av['minor']))
    body.append('const char *const api_version_vendor = %s;' % c_str(av['vendor']))
    body.append('const int api_schema_major = %d, api_schema_minor = %d;'
                % (sv['major'], sv['minor']))
    body.append('const char *const api_schema_hash = %s;' % c_str(M.schema_hash()))

    # sorted lookup indexes
    def idx_array(name, ctype, order):
        body.append('static const %s %s[] = { %s };'
                    % (ctype, name, ', '.join(str(i) for i in order)))

    idx_array('msg_by_name', 'uint16_t',
              sorted(range(len(msgs)), key=lambda i: msgs[i][1]['wire_name'].encode()))
    idx_array('class_by_name', 'uint8_t',
              sorted(range(len(classes)), key=lambda i: classes[i]['name'].encode()))
    idx_array('class_by_lname', 'uint8_t',
              sorted(range(len(classes)), key=lambda i: ascii_lower(classes[i]['name']).encode()))
    idx_array('enum_by_name', 'uint8_t',
              sorted(range(len(M.enums)), key=lambda i: M.enums[i]['name'].encode()))
    idx_array('error_by_name', 'uint16_t',
              sorted(range(len(dm['errors'])), key=lambda i: dm['errors'][i]['name'].encode()))
    for ci, c in enumerate(classes):
        if c['fields']:
            idx_array('C%d_fs' % ci, 'int16_t',
                      sorted(range(len(c['fields'])), key=lambda j: c['fields'][j]['name'].encode()))
    body.append('static const int16_t *const field_by_name[] = { %s };'
                % ', '.join('C%d_fs' % ci if c['fields'] else 'NULL'
                            for ci, c in enumerate(classes)))
    for i, e in enumerate(M.enums):
        idx_array('E%d_vs' % i, 'int16_t',
                  sorted(range(len(e['values'])),
                         key=lambda j: (ascii_lower(e['values'][j]).encode(), j)))
    body.append('static const int16_t *const enum_value_by_name[] = { %s };'
                % ', '.join('E%d_vs' % i for i in range(len(M.enums))))

    if len(msgs) > 65535 or len(classes) > 255 or len(M.enums) > 255:
        die('index types too small')

    # api_role_names
    head = ['/* SPDX-License-Identifier: Apache-2.0 */',
            '/* GENERATED by schemas/gen/genapi.py from schemas/xenapi/datamodel.json.',
            ' * Do not edit: change the generator or the datamodel. */',
            '#include <stdint.h>',
            '#include <string.h>',
            '',
            '#include "meta.h"',
            '',
            'const char *const api_role_names[ROLE__COUNT] = { %s };'
            % ', '.join(c_str(r) for r in ROLES),
            '',
            '/* Handlers: weak, so a message nobody implements has handler == NULL. */']
    tlines = []
    T.emit(tlines)
    text = '\n'.join(head + decl + ['', '/* Types, one per distinct datamodel spelling. */']
                     + tlines + [''] + body) + '\n' + LOOKUPS
    with open(out_c, 'w') as f:
        f.write(text)

    # api_ids.h
    h = ['/* SPDX-License-Identifier: Apache-2.0 */',
         '/* GENERATED by schemas/gen/genapi.py: index constants for the tables',
         ' * of xapid/api/meta.h (api_classes[CLS_VM].fields[FLD_VM_uuid],',
         ' * api_msgs[MSG_VM_start], api_enums[ENUM_vm_power_state]). */',
         '#ifndef HALYARD_API_IDS_H',
         '#define HALYARD_API_IDS_H',
         '',
         '#define API_NCLASSES %d' % len(classes),
         '#define API_NENUMS %d' % len(M.enums),
         '#define API_NMSGS %d' % len(msgs),
         '#define API_NERRORS %d' % len(dm['errors']),
         '',
         'enum api_class_id {']
    h += ['\tCLS_%s = %d,' % (c['name'], i) for i, c in enumerate(classes)]
    h += ['};', '', 'enum api_enum_id {']
    h += ['\tENUM_%s = %d,' % (e['name'], i) for i, e in enumerate(M.enums)]
    h += ['};', '', '/* Field indexes within their class. */', 'enum api_field_id {']
    for ci, c in enumerate(classes):
        h += ['\tFLD_%s_%s = %d,' % (c['name'], f['name'], j) for j, f in enumerate(c['fields'])]
        h.append('\tAPI_NFIELDS_%s = %d,' % (c['name'], len(c['fields'])))
    h += ['};', '', 'enum api_msg_id {']
    h += ['\tMSG_%s_%s = %d,' % (classes[ci]['name'], m['name'], i)
          for i, (ci, m) in enumerate(msgs)]
    h += ['};', '', '#endif', '']
    for line in h:
        m_ = re.match(r'\t(\w+) =', line)
        if m_ and not IDENT.match(m_.group(1)):
            die('bad identifier %s' % m_.group(1))
    with open(out_h, 'w') as f:
        f.write('\n'.join(h))

    if report:
        r = sys.stderr
        print('genapi: %d classes, %d msgs, %d errors, %d enums, %d types, '
              '%d derived fields, %d tables' % (len(classes), len(msgs), len(dm['errors']),
                                                len(M.enums), len(T.order), len(M.derived),
                                                len(M.sql)), file=r)
        for line in M.report:
            print('  ' + line, file=r)
        for t, why in T.special.items():
            print('  type %r: %s' % (t, why), file=r)
        print('  %d messages with no roles (roles = 0, min_role = pool-admin): %s'
              % (len(norole), ' '.join(norole)), file=r)
    return M


LOOKUPS = r'''
/* ASCII-only case folding: lookups must not depend on the C locale. */
static int lc(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int ascii_casecmp(const char *a, const char *b)
{
	while (*a && lc((unsigned char)*a) == lc((unsigned char)*b)) {
		a++;
		b++;
	}
	return lc((unsigned char)*a) - lc((unsigned char)*b);
}

static int bytecmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

/*
 * Lower-bound binary search over n indexes sorted by name_of(index) under
 * cmp: returns the first position whose name is not less than key.
 */
#define LOWER_BOUND(pos, n, keyexpr, cmp, key)                              \
	do {                                                                \
		size_t lo_ = 0, hi_ = (size_t)(n);                          \
		while (lo_ < hi_) {                                         \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                \
			size_t i = mid_;                                    \
			if (cmp((keyexpr), (key)) < 0)                      \
				lo_ = mid_ + 1;                             \
			else                                                \
				hi_ = mid_;                                 \
		}                                                           \
		(pos) = lo_;                                                \
	} while (0)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const api_msg *api_find_msg(const char *wire_name)
{
	size_t pos;

	if (!wire_name)
		return NULL;
	LOWER_BOUND(pos, NELEM(msg_by_name), api_msgs[msg_by_name[i]].wire_name, bytecmp, wire_name);
	if (pos < NELEM(msg_by_name) && !strcmp(api_msgs[msg_by_name[pos]].wire_name, wire_name))
		return &api_msgs[msg_by_name[pos]];
	return NULL;
}

int api_find_class(const char *name)
{
	size_t pos;

	if (!name)
		return -1;
	LOWER_BOUND(pos, NELEM(class_by_name), api_classes[class_by_name[i]].name, bytecmp, name);
	if (pos < NELEM(class_by_name) && !strcmp(api_classes[class_by_name[pos]].name, name))
		return class_by_name[pos];
	return -1;
}

int api_find_class_ci(const char *name)
{
	size_t pos;

	if (!name)
		return -1;
	LOWER_BOUND(pos, NELEM(class_by_lname), api_classes[class_by_lname[i]].lname, ascii_casecmp, name);
	if (pos < NELEM(class_by_lname) && !ascii_casecmp(api_classes[class_by_lname[pos]].lname, name))
		return class_by_lname[pos];
	return -1;
}

int api_find_field(int cls, const char *name)
{
	const api_class *c;
	const int16_t *idx;
	size_t pos;

	if (cls < 0 || cls >= api_nclasses || !name)
		return -1;
	c = &api_classes[cls];
	idx = field_by_name[cls];
	if (!idx)
		return -1;
	LOWER_BOUND(pos, c->nfields, c->fields[idx[i]].name, bytecmp, name);
	if (pos < (size_t)c->nfields && !strcmp(c->fields[idx[pos]].name, name))
		return idx[pos];
	return -1;
}

int api_find_enum(const char *name)
{
	size_t pos;

	if (!name)
		return -1;
	LOWER_BOUND(pos, NELEM(enum_by_name), api_enums[enum_by_name[i]].name, bytecmp, name);
	if (pos < NELEM(enum_by_name) && !strcmp(api_enums[enum_by_name[pos]].name, name))
		return enum_by_name[pos];
	return -1;
}

/*
 * Case-insensitive. Values that differ only in case (none today) resolve
 * to the exact spelling when given, else to the lowest index.
 */
int api_enum_value(int enm, const char *value)
{
	const api_enum *e;
	const int16_t *idx;
	size_t pos, p;

	if (enm < 0 || enm >= api_nenums || !value)
		return -1;
	e = &api_enums[enm];
	idx = enum_value_by_name[enm];
	LOWER_BOUND(pos, e->nvalues, e->values[idx[i]], ascii_casecmp, value);
	if (pos >= (size_t)e->nvalues || ascii_casecmp(e->values[idx[pos]], value))
		return -1;
	for (p = pos; p < (size_t)e->nvalues && !ascii_casecmp(e->values[idx[p]], value); p++)
		if (!strcmp(e->values[idx[p]], value))
			return idx[p];
	return idx[pos];
}

const api_error *api_find_error(const char *name)
{
	size_t pos;

	if (!name)
		return NULL;
	LOWER_BOUND(pos, NELEM(error_by_name), api_errors[error_by_name[i]].name, bytecmp, name);
	if (pos < NELEM(error_by_name) && !strcmp(api_errors[error_by_name[pos]].name, name))
		return &api_errors[error_by_name[pos]];
	return NULL;
}
'''


def main(argv):
    report = '--report' in argv
    argv = [a for a in argv if a != '--report']
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding='utf-8') as f:
        dm = json.load(f)
    try:
        gen(dm, argv[1], argv[2], report)
    except GenError as e:
        print('genapi.py: error: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
