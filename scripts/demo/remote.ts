import {daemonSocketPath} from '../../src/layout/server.js'
import {run, RunResult} from '../../test/testhost/run.js'
import type {SavedHost} from '../../test/testhost/saved-hosts.js'

/** OpenSSH arguments that log in to a demo host as a user would, refusing any key but the pinned one. */
export function sshArgs(host: SavedHost, knownHosts: string): string[] {
  return ['-i', host.privateKeyPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR', '-p', String(host.port), `${host.user}@${host.address}`]
}

/** Runs a shell command on the host over SSH (what a person would type after `ssh`). */
export function onHost(host: SavedHost, knownHosts: string, command: string, timeoutMs = 60_000): Promise<RunResult> {
  return run('ssh', [...sshArgs(host, knownHosts), command], {timeoutMs})
}

export async function onHostOk(host: SavedHost, knownHosts: string, command: string, timeoutMs?: number): Promise<string> {
  const r = await onHost(host, knownHosts, command, timeoutMs)
  if (r.code !== 0) throw new Error(`on ${host.address}: ${command} exited with ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`)
  return r.stdout
}

/**
 * Starts the repository's dockerd ahead of `rdc repo up` and copies IMAGES into it from the host's own Docker.
 * A real server would pull them from a registry when the Rediaccfile runs `docker compose up`; none is reachable
 * here, so they are put in place first (starting the daemon early is what `repo up` would do anyway).
 */
export function copyImagesToRepoDaemon(networkId: number, images: string[]): string {
  const sock = daemonSocketPath(networkId)
  const docker = `docker -H unix://${sock}`
  return [
    `systemctl start rediacc-docker@${networkId}`,
    `i=0; until ${docker} version >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 100 ] && echo "dockerd for ${networkId} did not answer on ${sock}" >&2 && exit 1; sleep 0.1; done`,
    `docker save ${images.join(' ')} | ${docker} load -q`,
  ].join(' && ')
}
