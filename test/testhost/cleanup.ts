import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {dirname} from 'node:path'
import {join} from 'node:path'

import {DOCKER_CLI, mountsUnder} from '../support/dockerd.js'
import {InstanceLayout} from './instance.js'
import {removeVeths} from './network.js'
import {runSync} from './run.js'

export interface CleanupReport {
  containers: string[]
  veths: string[]
  dockerdPid?: number
}

/**
 * A zombie counts as gone: a dockerd this process spawned stays a zombie until Node reaps it, which cannot happen
 * while this synchronous cleanup blocks the event loop.
 */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

function waitSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function dockerdPid(layout: InstanceLayout): number | undefined {
  const file = join(layout.dockerdRoot, 'dockerd.pid')
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined
}

/** This instance's containers on its outer dockerd (empty when the daemon is not running). */
export function instanceContainers(layout: InstanceLayout): string[] {
  if (dockerdPid(layout) === undefined) return []
  const env = {...process.env, DOCKER_HOST: `unix://${layout.dockerdSocket}`}
  const r = runSync(DOCKER_CLI, ['ps', '-a', '--filter', `label=${layout.label}`, '--format', '{{.Names}}'], env)
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : []
}

/**
 * Removes everything of ONE instance: its containers, its veth pairs, its outer dockerd, its per-host data and
 * stale socket/exec folders. Synchronous, so it also runs from signal handlers and at process exit. Used at start
 * (for what a killed run of the same instance left) and at the end. The shared image cache, the instance's
 * dockerd data (which holds the imported image) and its test key are kept.
 */
export function cleanupInstance(layout: InstanceLayout): CleanupReport {
  // Veths first: a container's death would take its pair along anyway, but asynchronously, racing the count.
  const veths = removeVeths(layout.vethPrefix)
  const containers = instanceContainers(layout)
  const env = {...process.env, DOCKER_HOST: `unix://${layout.dockerdSocket}`}
  if (containers.length > 0) runSync(DOCKER_CLI, ['rm', '-f', '-v', ...containers], env)
  const pid = dockerdPid(layout)
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 200 && alive(pid); i++) waitSync(100)
    if (alive(pid)) process.kill(pid, 'SIGKILL')
  }

  rmSync(join(layout.dockerdRoot, 'dockerd.pid'), {force: true})
  rmSync(layout.dockerdSocket, {force: true})
  for (const dir of [layout.dockerdExecRoot, layout.hostsDir, join(layout.dockerdRoot, 'data')]) {
    for (const mp of mountsUnder(dir)) runSync('umount', ['-l', mp])
  }

  rmSync(layout.dockerdExecRoot, {recursive: true, force: true})
  rmSync(layout.hostsDir, {recursive: true, force: true})
  return {containers, veths, dockerdPid: pid}
}

/**
 * cleanupInstance, then also the instance's kept state: its dockerd data (the imported image, ~600 MB), test key,
 * saved hosts and its subnet claim. The next start of the instance imports the image again (a few seconds).
 */
export function purgeInstance(layout: InstanceLayout): CleanupReport {
  const report = cleanupInstance(layout)
  for (const mp of mountsUnder(layout.dir)) runSync('umount', ['-l', mp])
  rmSync(layout.dir, {recursive: true, force: true})
  const claims = join(dirname(layout.dir), 'subnets')
  if (existsSync(claims)) {
    for (const name of readdirSync(claims)) {
      if (readFileSync(join(claims, name), 'utf8').trim() === layout.id) rmSync(join(claims, name), {force: true})
    }
  }

  return report
}
