/**
 * The integration suite leaves nothing behind: after its last file, no process it started (Pebble, challtestsrv,
 * a test fixture, an instance's dockerd: anything carrying this run's RDC_TEST_RUN mark), no veth link, mount or container of its instances, and no state of the
 * auxiliary instances the test-host tests make (killed, neighbour), whose folders are removed here. What stays is
 * the named cache: /var/cache/rdc-testhost and the suite's own instance folder (its imported host image and test
 * key, ~600 MB; `npm run testhost -- purge` removes it). Runs as vitest's global setup of the integration project.
 */
import {readdirSync, readFileSync} from 'node:fs'

import {purgeInstance} from './testhost/cleanup.js'
import {auxiliaryInstanceIds, instanceLayout, type InstanceLayout} from './testhost/instance.js'
import {vethsWithPrefix} from './testhost/network.js'
import {dockerdPid, instanceContainers} from './testhost/cleanup.js'

/** Marks every process this run starts (each inherits the variable), so another run's processes are never blamed. */
const RUN_MARK = 'RDC_TEST_RUN'

function parentOf(pid: number): number {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return 0
  }
}

/** Whether pid runs below this process: vitest's own workers, still closing when the teardown runs. */
function isOwnDescendant(pid: number): boolean {
  for (let p = parentOf(pid), hops = 0; p > 1 && hops < 64; p = parentOf(p), hops++) if (p === process.pid) return true
  return false
}

/** Processes (pid → command line) whose environment carries this run's mark, other than vitest's own workers. */
function markedProcesses(mark: string): Map<number, string> {
  const found = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid || isOwnDescendant(pid)) continue
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(mark)) continue
      found.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim())
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found
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
  const mark = `${RUN_MARK}=${process.pid}-${Date.now()}`
  // Set before vitest starts its workers: they, and everything the tests start, inherit it.
  process.env[RUN_MARK] = mark.slice(RUN_MARK.length + 1)
  return () => {
    const aux = auxiliaryInstanceIds()
    for (const id of [aux.killed, aux.neighbour]) purgeInstance(instanceLayout('test', {...process.env, RDC_TESTHOST_INSTANCE: id}))
    const problems = leftoversOf(instanceLayout('test'))
    for (const [pid, args] of markedProcesses(mark)) problems.push(`process ${pid}: ${args.slice(0, 160)}`)
    if (problems.length > 0) throw new Error(`the integration suite left these behind:\n  ${problems.join('\n  ')}`)
  }
}
