// SPDX-License-Identifier: Apache-2.0
//
// Drives xapid with Xen Orchestra's own XAPI client (npm xen-api@4.7.6),
// the way xo-server does: connect, wait for the object cache, read pool /
// host / VM / template records from it, callAsync, barrier(), see events for
// changes made with call(), record helpers (update_<map>, add_<set>), errors,
// disconnect. Run by ../test_xo.py:
//
//   node xo_client.mjs URL USER PASSWORD TRANSPORT   (auto | json-rpc | xml-rpc)
//
// Prints one line per check ("ok    …" / "FAIL  …"); exits 1 on any failure.
import { createClient } from 'xen-api'

const [url, user, password, transport = 'auto'] = process.argv.slice(2)
let failed = 0
let passed = 0
const tag = `[${transport}]`

function check(cond, what, detail) {
  if (cond) {
    passed++
    console.log(`ok    ${tag} ${what}`)
  } else {
    failed++
    console.log(`FAIL  ${tag} ${what}`)
    if (detail !== undefined) console.log(`        ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`)
  }
  return cond
}

// Bounds a promise so that a server bug shows up as a failure, not a hang.
function within(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

// Waits until fn() is truthy, checking after each cache update (and every 50 ms).
async function until(fn, ms, what) {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

async function expectError(promise, code, what, params) {
  try {
    const r = await within(promise, 60e3, what)
    check(false, what, `resolved with ${JSON.stringify(r)}`)
  } catch (e) {
    const ok = e.code === code && (params === undefined || JSON.stringify(e.params) === JSON.stringify(params))
    check(ok, what, `got ${e.code} ${JSON.stringify(e.params)} (${e.message})`)
  }
}

const minimalVm = name => ({
  name_label: name,
  name_description: '',
  user_version: 1,
  is_a_template: false,
  affinity: 'OpaqueRef:NULL',
  memory_static_max: 268435456,
  memory_dynamic_max: 268435456,
  memory_dynamic_min: 268435456,
  memory_static_min: 134217728,
  VCPUs_params: {},
  VCPUs_max: 1,
  VCPUs_at_startup: 1,
  actions_after_shutdown: 'destroy',
  actions_after_reboot: 'restart',
  actions_after_crash: 'restart',
  PV_bootloader: '',
  PV_kernel: '',
  PV_ramdisk: '',
  PV_args: '',
  PV_bootloader_args: '',
  PV_legacy_args: '',
  HVM_boot_policy: 'BIOS order',
  HVM_boot_params: { order: 'dc' },
  HVM_shadow_multiplier: 1.5,
  platform: {},
  PCI_bus: '',
  other_config: {},
  recommendations: '',
  has_vendor_device: false,
  tags: [],
})

async function main() {
  const xapi = createClient({ url, auth: { user, password }, allowUnauthorized: true, transport })
  let eventErrors = []
  xapi.on('eventFetchingError', e => eventErrors.push(e))

  await within(xapi.connect(), 60e3, 'connect')
  check(xapi.status === 'connected', 'connect() logs in (session.login_with_password with 2 args)')
  check(String(xapi.sessionId).startsWith('OpaqueRef:'), 'the session is an OpaqueRef')

  await within(xapi.objectsFetched, 60e3, 'objectsFetched')
  check(true, 'objectsFetched resolves (listMethods, get_all_records of every class, event.inject)')

  const all = Object.values(xapi.objects.all)
  const byType = t => all.filter(o => o.$type === t)
  const pools = byType('pool')
  check(pools.length === 1, `exactly one pool in the cache (${pools.length})`)
  const pool = xapi.pool
  check(pool && typeof pool.other_config === 'object' && String(pool.master).startsWith('OpaqueRef:'),
    'xapi.pool has master and an other_config object', pool)
  const hosts = byType('host')
  check(hosts.length >= 1 && hosts[0].$ref === pool.master, `the pool master is a cached host (${hosts.length} hosts)`)
  check(pool.$master !== undefined && pool.$master.$type === 'host', 'pool.$master resolves to the host object')
  const vms = byType('VM')
  const templates = vms.filter(v => v.is_a_template)
  check(vms.length >= 1, `VM records cached (${vms.length}, of which ${templates.length} templates)`)
  check(vms.every(v => typeof v.power_state === 'string' && typeof v.other_config === 'object'),
    'VM records carry power_state and other_config')
  const typeNames = new Set(all.map(o => o.$type))
  console.log(`      ${tag} cached classes: ${[...typeNames].sort().join(' ')}`)

  // Async: VM.clone of a template as xo-server does, or VM.create.
  let vmRef
  if (templates.length > 0) {
    try {
      vmRef = await within(xapi.callAsync('VM.clone', templates[0].$ref, 'xo-clone'), 60e3, 'callAsync VM.clone')
      check(String(vmRef).startsWith('OpaqueRef:'), `callAsync('VM.clone', template, 'xo-clone') resolves to a ref`, vmRef)
    } catch (e) {
      if (e.code === 'NOT_IMPLEMENTED' || e.code === 'MESSAGE_METHOD_UNKNOWN') {
        console.log(`      ${tag} VM.clone is not implemented (${e.code}); using VM.create`)
      } else {
        check(false, "callAsync('VM.clone', …)", `${e.code} ${JSON.stringify(e.params)} ${e.message}`)
      }
    }
  }
  if (vmRef === undefined) {
    vmRef = await within(xapi.callAsync('VM.create', minimalVm('xo-clone')), 60e3, 'callAsync VM.create')
    check(String(vmRef).startsWith('OpaqueRef:'), "callAsync('VM.create', record) resolves to a ref", vmRef)
  }
  const vm = await until(() => xapi.getObjectByRef(vmRef, undefined), 30e3, 'the new VM in the cache')
  check(vm !== undefined && vm.name_label === 'xo-clone', 'the new VM arrives in the cache through events')

  // barrier(): pool.add_to_other_config xo:barrier:… then wait for its event.
  await within(xapi.barrier(), 30e3, 'barrier()')
  check(true, 'barrier() returns (add_to_other_config, event, remove_from_other_config)')
  const poolAfter = await within(xapi.barrier(pool.$ref), 30e3, 'barrier(pool)')
  check(poolAfter && poolAfter.$ref === pool.$ref, 'barrier(ref) returns the cached object')

  await within(xapi.call('VM.set_name_label', vmRef, 'xo-renamed'), 30e3, 'VM.set_name_label')
  const renamed = await within(until(() => xapi.getObjectByRef(vmRef).name_label === 'xo-renamed', 30e3,
    'rename event'), 31e3, 'rename event')
  check(renamed, "an event for call('VM.set_name_label', …) updates the cache")
  const viaBarrier = await within(xapi.barrier(vmRef), 30e3, 'barrier(vm)')
  check(viaBarrier.name_label === 'xo-renamed', 'barrier(vmRef) sees the rename')

  // Record helpers: update_<map> sends remove_from_ then add_to_; add_<set>.
  const rec = xapi.getObjectByRef(vmRef)
  await within(rec.update_other_config('xo:key', 'v1'), 30e3, 'update_other_config')
  await within(xapi.getObjectByRef(vmRef).update_other_config('xo:key', 'v2'), 30e3, 'update_other_config again')
  const upd = await within(xapi.barrier(vmRef), 30e3, 'barrier after update')
  check(upd.other_config['xo:key'] === 'v2', 'update_other_config twice (remove_from_ of a present and a missing key)',
    upd.other_config)
  await within(rec.add_tags('xo-tag'), 30e3, 'add_tags')
  const tagged = await within(xapi.barrier(vmRef), 30e3, 'barrier after add_tags')
  check(tagged.tags.includes('xo-tag'), 'add_tags shows up in the cached record', tagged.tags)
  await within(rec.set_name_description('from xo'), 30e3, 'set_name_description')
  check((await within(xapi.barrier(vmRef), 30e3, 'barrier')).name_description === 'from xo', 'record set_<field>')
  const keysBefore = Object.keys(rec)
  const keysAfter = Object.keys(xapi.getObjectByRef(vmRef))
  check(JSON.stringify(keysBefore) === JSON.stringify(keysAfter), 'event snapshots carry the same field set')

  // Errors as XapiError {code, params}.
  await expectError(xapi.call('VM.get_record', 'OpaqueRef:nope'), 'HANDLE_INVALID',
    'call on a bad ref rejects with HANDLE_INVALID [VM, ref]', ['VM', 'OpaqueRef:nope'])
  await expectError(xapi.callAsync('VM.destroy', 'OpaqueRef:nope'), 'HANDLE_INVALID',
    'callAsync failing in its task rejects with the task error_info')
  await expectError(xapi.call('VM.no_such_call', vmRef), 'MESSAGE_METHOD_UNKNOWN',
    'an unknown method rejects with MESSAGE_METHOD_UNKNOWN')

  // A client task, as getResource/putResource make them.
  const taskRef = await within(xapi.createTask('[XO] test task'), 30e3, 'createTask')
  check(String(taskRef).startsWith('OpaqueRef:'), 'createTask (task.create) gives a ref')
  await within(xapi.call('task.cancel', taskRef), 30e3, 'task.cancel')
  let cancelled = false
  try {
    await within(xapi.watchTask(taskRef), 30e3, 'watchTask')
  } catch (e) {
    cancelled = true
  }
  check(cancelled, 'watchTask rejects once the task is cancelled (task events flow)')

  // Destroy and see the object leave the cache.
  await within(xapi.callAsync('VM.destroy', vmRef), 30e3, 'callAsync VM.destroy')
  const gone = await within(until(() => xapi.getObjectByRef(vmRef, undefined) === undefined, 30e3, 'del event'),
    31e3, 'del event')
  check(gone, "callAsync('VM.destroy') and the del event removes the VM from the cache")

  // Stats the way xo-server's xapi-stats fetches them (its host= would aim
  // at host.address, which is not this test's xapid). Values are xcp-rrd's
  // numbers, NaN included: xo-server falls back to JSON5 for that; here
  // NaN is read as null before JSON.parse.
  const res = await within(xapi.getResource('/rrd_updates', {
    task: false,
    query: { cf: 'AVERAGE', host: 'true', interval: 5, json: 'true', start: Math.floor(Date.now() / 1000) - 300 },
  }), 30e3, 'getResource /rrd_updates')
  const text = await res.body.text()
  let stats
  try {
    stats = JSON.parse(text.replace(/\bNaN\b/g, 'null'))
  } catch (e) {
    stats = undefined
  }
  check(stats !== undefined && stats.meta.step === 5 &&
    stats.meta.legend.some(e => /^AVERAGE:host:[0-9a-f-]{36}:cpu_avg$/.test(e)) &&
    stats.meta.legend.some(e => /^AVERAGE:host:[0-9a-f-]{36}:memory_free_kib$/.test(e)) &&
    stats.data.length >= 1 && stats.data.every(r => r.values.length === stats.meta.legend.length),
  "getResource('/rrd_updates', cf=AVERAGE host=true interval=5 json=true) as xo-server's stats",
  text.slice(0, 300))

  check(eventErrors.length === 0 && xapi.watchEventsError === undefined, 'no event fetching error during the run',
    eventErrors.map(String).join('; '))
  await within(xapi.disconnect(), 30e3, 'disconnect')
  check(xapi.status === 'disconnected', 'disconnect() (session.logout)')
}

main()
  .catch(e => {
    failed++
    console.log(`FAIL  ${tag} unexpected error: ${e.code ?? ''} ${JSON.stringify(e.params ?? '')} ${e.stack ?? e}`)
  })
  .finally(() => {
    console.log(`xo_client ${tag}: ${passed} passed, ${failed} failed`)
    process.exit(failed ? 1 : 0)
  })
