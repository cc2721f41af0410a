/**
 * The integration suite leaves nothing behind: after its last file, no process it started (Pebble, challtestsrv,
 * a test fixture, an instance's dockerd), no veth link, mount or container of its instances, and no state of the
 * auxiliary instances the test-host tests make (killed, neighbour), whose folders are removed here. What stays is
 * the named cache: /var/cache/rdc-testhost and the suite's own instance folder (its imported host image and test
 * key, ~600 MB; `npm run testhost -- purge` removes it). Runs as vitest's global setup of the integration project.
 */
import {readFileSync} from 'node:fs'

import {purgeInstance} from './testhost/cleanup.js'
import {auxiliaryInstanceIds, instanceLayout, type InstanceLayout} from './testhost/instance.js'
import {vethsWithPrefix} from './testhost/network.js'
import {dockerdPid, instanceContainers} from './testhost/cleanup.js'
import {runSync} from './testhost/run.js'

/** Command lines of programs only the suite starts: they must not outlive it. */
const SUITE_PROGRAMS = [/\bpebble(-challtestsrv)?\b/, /hold-hosts/, /hold-lab/, /rdc-acme-lab/]

function processes(): Map<number, string> {
  const out = runSync('ps', ['-eo', 'pid=,args=']).stdout
  const map = new Map<number, string>()
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line)
    if (m && Number(m[1]) !== process.pid) map.set(Number(m[1]), m[2]!)
  }
  return map
}

function leftoversOf(layout: InstanceLayout): string[] {
  const found: string[] = []
  const veths = vethsWithPrefix(layout.vethPrefix)
  if (veths.length > 0) found.push(`veth links ${veths.join(', ')}`)
  const pid = dockerdPid(layout)
  if (pid !== undefined) found.push(`the dockerd of instance ${layout.id} (pid ${pid})`)
  if (pid !== undefined) {
    const containers = instanceContainers(layout)
    if (containers.length > 0) found.push(`containers ${containers.join(', ')}`)
  }
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((mp) => mp.startsWith(`${layout.hostsDir}/`) || mp.startsWith(layout.dockerdExecRoot))
  if (mounts.length > 0) found.push(`mounts ${mounts.join(', ')}`)
  return found
}

export default function setup(): () => void {
  const before = processes()
  return () => {
    const aux = auxiliaryInstanceIds()
    for (const id of [aux.killed, aux.neighbour]) purgeInstance(instanceLayout('test', {...process.env, RDC_TESTHOST_INSTANCE: id}))
    const problems = leftoversOf(instanceLayout('test'))
    for (const [pid, args] of processes()) {
      if (!before.has(pid) && SUITE_PROGRAMS.some((p) => p.test(args))) problems.push(`process ${pid}: ${args.slice(0, 160)}`)
    }
    if (problems.length > 0) throw new Error(`the integration suite left these behind:\n  ${problems.join('\n  ')}`)
  }
}
