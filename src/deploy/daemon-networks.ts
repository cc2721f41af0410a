/**
 * A repository daemon started by the unit of an older push-infra runs with --bridge=none and Docker's default
 * address pools: compose networks would get subnets other repositories use too, and no NAT. `renet net up`
 * (the unit's ExecStartPre) writes the daemon's network config file; a running daemon without it is restarted
 * once, by the up that first needs its networks, so it comes back with its own pool and NAT.
 */
import {RemoteError} from '../errors.js'
import {daemonConfigPath} from '../layout/server.js'
import type {Transport} from '../remote/transport.js'
import type {RepoLocation} from './layout.js'
import type {RemoteStep} from '../remote/step.js'

export function restartOldDaemonStep(loc: RepoLocation, waitMs = 30_000): RemoteStep {
  return {
    label: 'daemon networks',
    argv: [
      'sh',
      '-c',
      [
        '[ -f "$1" ] && exit 0',
        'systemctl is-active -q "$2" || exit 0',
        'echo restarted',
        'systemctl restart "$2" || exit 3',
        `i=0; while [ ! -S "$3" ]; do i=$((i+1)); [ "$i" -gt ${Math.ceil(waitMs / 200)} ] && exit 4; sleep 0.2; done`,
      ].join('\n'),
      'rdc-daemon-networks',
      daemonConfigPath(loc.networkId),
      loc.unit,
      loc.socket,
    ],
    timeoutMs: waitMs + 150_000,
  }
}

/** True when the daemon was restarted to get its own networks. */
export async function ensureDaemonNetworks(t: Transport, loc: RepoLocation, machine: string, progress?: (line: string) => void): Promise<boolean> {
  const r = await t.exec(restartOldDaemonStep(loc).argv, {timeoutMs: restartOldDaemonStep(loc).timeoutMs})
  if (r.code !== 0) {
    throw new RemoteError(`Restarting ${loc.unit} on ${machine} for its own networks failed (exit ${r.code}): ${r.stderr.trim()}`, {host: machine, command: 'systemctl restart', exitCode: r.code, stderr: r.stderr}, {
      suggestion: `Read journalctl -u ${loc.unit} on the server; rdc context push-infra ${machine} reinstalls the unit.`,
    })
  }

  const restarted = r.stdout.includes('restarted')
  if (restarted) progress?.(`${machine}: restarted ${loc.unit}: it was started before repository daemons had their own networks`)
  return restarted
}
