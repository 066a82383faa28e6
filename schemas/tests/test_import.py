#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""import.py and the generators are deterministic.

Runs schemas/xenapi/import.py twice into two temporary directories and
compares the outputs byte for byte, then compares them with the checked-in
copies (so a stale commit is noticed). Runs genapi.py and genxe.py twice and
compares too. Exits 77 (skip) only when the reference ../shared/xenapi is
not there.

Usage: test_import.py SCHEMAS_DIR SHARED_XENAPI_DIR
"""
import filecmp
import os
import subprocess
import sys
import tempfile


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main():
    schemas, shared = sys.argv[1], sys.argv[2]
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(('ok   ' if ok else 'FAIL ') + what)
        failures += not ok

    imp = os.path.join(schemas, 'xenapi', 'import.py')
    with tempfile.TemporaryDirectory() as t:
        if os.path.exists(os.path.join(shared, 'datamodel.json')):
            a, b = os.path.join(t, 'a'), os.path.join(t, 'b')
            os.mkdir(a)
            os.mkdir(b)
            run([sys.executable, imp, '--src', shared, '--out', a])
            run([sys.executable, imp, '--src', shared, '--out', b])
            for name in ('datamodel.json', 'xe-commands.json'):
                check(filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False),
                      'import.py twice gives identical %s' % name)
                check(filecmp.cmp(os.path.join(a, name), os.path.join(schemas, 'xenapi', name),
                                  shallow=False),
                      'checked-in schemas/xenapi/%s is up to date' % name)
        else:
            print('skip import.py checks: no %s' % shared)
        dm = os.path.join(schemas, 'xenapi', 'datamodel.json')
        xe = os.path.join(schemas, 'xenapi', 'xe-commands.json')
        outs = []
        for run_no in (1, 2):
            d = os.path.join(t, 'g%d' % run_no)
            os.mkdir(d)
            run([sys.executable, os.path.join(schemas, 'gen', 'genapi.py'), dm,
                 os.path.join(d, 'api_gen.c'), os.path.join(d, 'api_ids.h')])
            run([sys.executable, os.path.join(schemas, 'gen', 'genxe.py'), xe, dm,
                 os.path.join(d, 'xe_gen.c'), os.path.join(d, 'xe_gen.h')])
            outs.append(d)
        for name in ('api_gen.c', 'api_ids.h', 'xe_gen.c', 'xe_gen.h'):
            check(filecmp.cmp(os.path.join(outs[0], name), os.path.join(outs[1], name),
                              shallow=False), 'generator output %s is deterministic' % name)
    print('%s: %d failure(s)' % ('FAIL' if failures else 'PASS', failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
