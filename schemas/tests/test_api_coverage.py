#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/api-coverage against a small archive of op_ symbols.

Usage: test_api_coverage.py SCRIPT FIXTURE_ARCHIVE
"""
import os
import subprocess
import sys
import tempfile


def main():
    script, fixture = sys.argv[1], sys.argv[2]
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(('ok   ' if ok else 'FAIL ') + what)
        failures += not ok

    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, 'cov.md')
        r = subprocess.run([sys.executable, script, '-o', out, fixture],
                           capture_output=True, text=True)
        check(r.returncode == 2 and 'op_VM_no_such_message' in r.stderr,
              'unknown op_VM_no_such_message is reported, exit 2')
        text = open(out).read()
        check('| VM | 1 |' in text and '| session | 1 |' in text,
              'summary counts VM.start and session.login_with_password')
        check('Implemented: `start`' in text, 'VM lists start as implemented')
        check('- `VM.destroy`' in text, 'op_VM_destroy listed as an implicit override')
        check('**2 of ' in text, 'total: 2 implemented')
        r = subprocess.run([sys.executable, script, '--check', out, fixture],
                           capture_output=True, text=True)
        check(r.returncode == 2 and 'up to date' in r.stdout,
              '--check on the fresh report: up to date')
        with open(out, 'a') as f:
            f.write('stale\n')
        r = subprocess.run([sys.executable, script, '--check', out, fixture],
                           capture_output=True, text=True)
        check(r.returncode == 1 and 'out of date' in r.stderr, '--check on a stale report: exit 1')
    print('%s: %d failure(s)' % ('FAIL' if failures else 'PASS', failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
