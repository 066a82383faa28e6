# SPDX-License-Identifier: Apache-2.0
"""Reads the golden replies with the parsers real clients use.

Python's xmlrpc.client (what XenAPI.py is built on) and json must accept
every golden reply and see the types WIRE.md promises: int64 as a digit
string in XML-RPC and an integer in JSON, whole floats still floats,
booleans, dateTime, None. Also checks that the replies are compact.
"""
import glob
import json
import os
import re
import sys
import xmlrpc.client

d = sys.argv[1]
checked = 0
failed = 0


def check(cond, what):
    global checked, failed
    checked += 1
    if not cond:
        failed += 1
        print('FAIL', what)


def text(name):
    with open(os.path.join(d, name), 'rb') as f:
        return f.read().decode('utf-8')


for path in sorted(glob.glob(os.path.join(d, 'xmlrpc', '*.response.xml'))):
    body = open(path, 'rb').read().decode('utf-8')
    name = os.path.basename(path)
    check(re.search(r'>\s+<', body) is None and not body.endswith('\n'), name + ' is compact')
    check(body.startswith('<?xml version="1.0"?><methodResponse>'), name + ' prolog')
    (reply,), _ = xmlrpc.client.loads(body)
    check(reply['Status'] in ('Success', 'Failure'), name + ' Status')
    if reply['Status'] == 'Failure':
        check(all(isinstance(x, str) for x in reply['ErrorDescription']), name + ' all strings')

(r,), _ = xmlrpc.client.loads(text('xmlrpc/success_all_types.response.xml'))
v = r['Value']
check(v['int'] == '9223372036854775807' and v['negative'] == '-42', 'int64 as digit strings')
check(v['i32'] == 7 and isinstance(v['i32'], int), 'i4 as int')
check(isinstance(v['whole_float'], float) and v['whole_float'] == 60.0, 'whole double is a float')
check(v['float'] == 60.1, 'double')
check(v['true'] is True and v['false'] is False, 'booleans')
check(isinstance(v['datetime'], xmlrpc.client.DateTime) and v['datetime'].value == '20250319T04:16:24Z', 'dateTime')
check(v['nil'] is None and v['empty'] == '', 'nil and empty string')
check(v['escaped'] == 'a & b < c > "d"\r\n\t', 'escaping survives an XML parser')
check(v['utf8'] == 'h\u00e9llo \u2603 \U0001F600', 'UTF-8')
check(v['set'] == ['a', 'b'] and v['empty_set'] == [] and v['map'] == {'k': 'v'} and v['empty_map'] == {}, 'containers')
check(list(v.keys())[0] == 'string' and list(v.keys())[-1] == 'empty_map', 'member order')
(r,), _ = xmlrpc.client.loads(text('xmlrpc/event_from.response.xml'))
check(r['Value']['valid_ref_counts'] == {'vm': 3, 'task': 0}, 'event.from counts as ints')
(r,), _ = xmlrpc.client.loads(text('xmlrpc/void.response.xml'))
check(r['Value'] == '', 'void is the empty string')
(r,), _ = xmlrpc.client.loads('<methodResponse><params><param>' + text('xmlrpc/task_result.value.xml') + '</param></params></methodResponse>')
check(r.startswith('OpaqueRef:'), 'task.result value string')

for path in sorted(glob.glob(os.path.join(d, 'jsonrpc', '*.response.json'))):
    body = open(path, 'rb').read().decode('utf-8')
    name = os.path.basename(path)
    outside = re.sub(r'"(\\.|[^"\\])*"', '""', body)
    check(re.search(r'\s', outside) is None, name + ' is compact')
    obj = json.loads(body)
    check('id' in obj, name + ' has id')
    if '.v2.' in name:
        check(obj.get('jsonrpc') == '2.0' and ('result' in obj) != ('error' in obj), name + ' v2 shape')
        if 'error' in obj:
            e = obj['error']
            check(e['code'] == 1 and isinstance(e['message'], str) and all(isinstance(x, str) for x in e['data']),
                  name + ' v2 error shape')
    else:
        check('jsonrpc' not in obj and 'result' in obj and 'error' in obj, name + ' v1 shape')
        check((obj['result'] is None) or (obj['error'] is None), name + ' v1 result xor error')

v = json.loads(text('jsonrpc/success_all_types.v2.response.json'))['result']
check(v['int'] == 9223372036854775807 and isinstance(v['int'], int), 'JSON int64 literal')
check(isinstance(v['whole_float'], float), 'JSON whole float stays a float')
check(v['datetime'] == '20250319T04:16:24Z' and v['nil'] is None, 'JSON datetime string, null')

print('check_golden.py: %d checks, %d failed' % (checked, failed))
sys.exit(1 if failed else 0)
