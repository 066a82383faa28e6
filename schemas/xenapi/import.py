#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Import the reference XenAPI description into Halyard's own trimmed copy.

Reads ../shared/xenapi/{datamodel,xe-commands}.json (or the files given with
--src) and writes schemas/xenapi/{datamodel,xe-commands}.json next to this
script. Only facts are kept: documentation prose, change histories and
per-value docs are dropped. The output is deterministic (sorted keys, indent
1, ASCII, trailing newline), so re-running on the same input changes nothing.

Usage: import.py [--src DIR] [--out DIR]
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SRC = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'xenapi'))


def pick(obj, keys):
    """The subset of dict obj with the given keys (absent keys are skipped)."""
    return {k: obj[k] for k in keys if k in obj}


def lifecycle_state(lc):
    """Only the current lifecycle state ("Published_s", "Removed_s" ...)."""
    return lc['state'] if lc else None


def trim_field(f):
    out = pick(f, ['name', 'type', 'qualifier', 'default', 'default_value',
                   'persist', 'internal_only', 'has_effect',
                   'ignore_foreign_key', 'getter_roles', 'setter_roles',
                   'map_keys_roles', 'pseudo'])
    out['lifecycle'] = lifecycle_state(f.get('lifecycle'))
    return out


def trim_param(p):
    return pick(p, ['name', 'type', 'required', 'default', 'default_value'])


def trim_message(m):
    out = pick(m, ['name', 'wire_name', 'result', 'errors', 'roles',
                   'min_role', 'async', 'session', 'kind', 'hidden',
                   'pool_internal', 'secret', 'has_effect',
                   'custom_marshaller', 'forward_to',
                   'constructor_record_fields', 'map_keys_roles'])
    out['params'] = [trim_param(p) for p in m['params']]
    out['lifecycle'] = lifecycle_state(m.get('lifecycle'))
    return out


def trim_class(c):
    out = pick(c, ['name', 'in_database', 'gen_events',
                   'gen_constructor_destructor', 'persist', 'allowed_roles',
                   'implicit_msg_allowed_roles', 'force_custom_actions'])
    out['lifecycle'] = lifecycle_state(c.get('lifecycle'))
    out['fields'] = [trim_field(f) for f in c['fields']]
    out['messages'] = [trim_message(m) for m in c['messages']]
    return out


def trim_datamodel(d):
    return {
        'source': pick(d['source'], ['repo', 'commit', 'commit_date']),
        'api_version': d['api_version'],
        'schema_version': d['schema_version'],
        'releases': [pick(r, ['code_name', 'api_version']) for r in d['releases']],
        'roles': d['roles'],
        'classes': [trim_class(c) for c in d['classes']],
        'enums': [pick(e, ['name', 'values']) for e in d['enums']],
        'errors': [pick(e, ['name', 'params', 'documented']) for e in d['errors']],
        'messages_catalog': [m['name'] for m in d['messages_catalog']],
        'relations': d['relations'],
        'emergency_calls': d['emergency_calls'],
        'http_actions': d['http_actions'],
        'http_actions_public_no_rbac': d['http_actions_public_no_rbac'],
    }


def strip_note(s):
    """'passwordfile (read by the client)' -> 'passwordfile'."""
    return re.sub(r'\s*\(.*\)$', '', s)


def trim_conventions(cv):
    """Keep the machine-usable parts of the xe conventions, no prose."""
    syn = cv.get('argument_syntax', {})
    switches = syn.get('short switches (take next argv as value)', {})
    return {
        'short_switches': switches,
        'client_only_options': [strip_note(s) for s in cv.get('client_only_options', [])],
        'stdparams_ignored_by_filters': cv.get('stdparams_ignored_by_filters', []),
        'selector_classes': sorted(k for k in cv.get('selectors', {}) if ' ' not in k),
        'access_markers': ['RO', 'RW', 'MRO', 'MRW', 'SRO', 'SRW'],
    }


def trim_command(c):
    out = pick(c, ['name', 'required', 'optional', 'selectors', 'standard',
                   'hidden', 'neverforward', 'deprecated', 'local_session',
                   'client_file_io', 'generated', 'cli_class', 'clearable'])
    return out


def trim_xe(d):
    return {
        'source': pick(d['source'], ['repo', 'commit']),
        'conventions': trim_conventions(d['conventions']),
        'commands': [trim_command(c) for c in d['commands']],
        'generated_classes': [
            pick(g, ['cli_class', 'xapi_class', 'record_fn', 'implicit_filters',
                     'default_list_columns', 'fields', 'commands'])
            for g in d['generated_classes']],
    }


def dump(obj, path):
    text = json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=True) + '\n'
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='ascii') as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--src', default=DEFAULT_SRC)
    ap.add_argument('--out', default=HERE)
    a = ap.parse_args(argv)
    with open(os.path.join(a.src, 'datamodel.json'), encoding='utf-8') as f:
        dm = json.load(f)
    with open(os.path.join(a.src, 'xe-commands.json'), encoding='utf-8') as f:
        xe = json.load(f)
    dump(trim_datamodel(dm), os.path.join(a.out, 'datamodel.json'))
    dump(trim_xe(xe), os.path.join(a.out, 'xe-commands.json'))
    nmsg = sum(len(c['messages']) for c in dm['classes'])
    print(f"import.py: {len(dm['classes'])} classes, {nmsg} messages, "
          f"{len(dm['errors'])} errors, {len(dm['enums'])} enums, "
          f"{len(xe['commands'])} xe commands -> {a.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
