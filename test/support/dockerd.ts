import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {dockerPing} from './docker-api.js'
import {processAlive} from '../../src/process-alive.js'

/**
 * A private Docker daemon for tests: its own socket, data, exec root and pid file, never the system's
 * /var/run/docker.sock. No iptables and no bridge, so it changes nothing on the machine's network.
 */
export interface PrivateDockerd {
  /** Folder holding data/, exec/, the pid file and dockerd.log. */
  root: string
  socket: string
  /** `unix:///…` for DOCKER_HOST. */
  host: string
  /** Environment for the docker CLI aimed at this daemon. */
  env: NodeJS.ProcessEnv
  pid: number
  stop(): Promise<void>
}

export interface DockerdOptions {
  /** Folder for the daemon's state (created). Data must sit on a real filesystem, not on overlay. */
  root: string
  /** Socket path; default ROOT/docker.sock. */
  socket?: string
  /** Exec root; default ROOT/exec. Kept short: containerd's socket paths must stay under 108 bytes. */
  execRoot?: string
  readyTimeoutMs?: number
}

export const DOCKERD = '/usr/sbin/dockerd'
/** The docker CLI that matches the daemon's API; a newer client elsewhere on PATH may refuse an older daemon. */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker'

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true
    await sleep(100)
  }

  return !processAlive(pid)
}

/** Stops a daemon left behind by an earlier, killed run (its pid file still names a live process). */
export async function stopStaleDockerd(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
    process.kill(pid, 'SIGTERM')
    if (!(await waitForExit(pid, 15_000))) process.kill(pid, 'SIGKILL')
  }

  rmSync(pidFile, {force: true})
}

export async function startPrivateDockerd(options: DockerdOptions): Promise<PrivateDockerd> {
  const root = options.root
  const socket = options.socket ?? join(root, 'docker.sock')
  const execRoot = options.execRoot ?? join(root, 'exec')
  const pidFile = join(root, 'dockerd.pid')
  mkdirSync(join(root, 'data'), {recursive: true})
  mkdirSync(execRoot, {recursive: true})
  await stopStaleDockerd(pidFile)
  rmSync(socket, {force: true})

  const log = openSync(join(root, 'dockerd.log'), 'a')
  const child = spawn(
    DOCKERD,
    [
      `--host=unix://${socket}`,
      `--data-root=${join(root, 'data')}`,
      `--exec-root=${execRoot}`,
      `--pidfile=${pidFile}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=overlay2',
    ],
    {detached: true, stdio: ['ignore', log, log]},
  )
  closeSync(log)
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${DOCKERD}`)

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000)
  while (!(await dockerPing(socket))) {
    if (child.exitCode !== null || !processAlive(pid)) {
      throw new Error(`dockerd exited early; see ${join(root, 'dockerd.log')}:\n${tail(join(root, 'dockerd.log'))}`)
    }

    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      throw new Error(`dockerd did not answer on ${socket}; see ${join(root, 'dockerd.log')}:\n${tail(join(root, 'dockerd.log'))}`)
    }

    await sleep(100)
  }

  const host = `unix://${socket}`
  return {
    root,
    socket,
    host,
    pid,
    env: {...process.env, DOCKER_HOST: host},
    async stop() {
      if (processAlive(pid)) {
        process.kill(pid, 'SIGTERM')
        if (!(await waitForExit(pid, 20_000))) process.kill(pid, 'SIGKILL')
      }

      rmSync(socket, {force: true})
    },
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/** Mount points at or below `dir`, deepest first (dockerd leaves nsfs and overlay mounts under its roots). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mp): mp is string => mp !== undefined && (mp === dir || mp.startsWith(prefix)))
    .map((mp) => mp.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length)
}

/** Unmounts whatever a stopped daemon left mounted below `dir`, then deletes it. */
export function removeDockerdState(dir: string): void {
  for (const mp of mountsUnder(dir)) spawnSync('umount', ['-l', mp], {stdio: 'ignore'})
  rmSync(dir, {recursive: true, force: true})
}
