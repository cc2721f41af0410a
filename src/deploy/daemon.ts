/** The repository's own dockerd (rediacc-docker@<id>): started before the Rediaccfiles run, stopped after down. */
import {RemoteError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import type {RepoLocation} from './layout.js'
import {runStep} from '../remote/step.js'
import {journalStep, startDaemonStep, stopDaemonStep} from './steps.js'

/** Starts the daemon and waits for its socket; a failure carries the unit's last journal lines. */
export async function ensureDaemon(t: Transport, loc: RepoLocation, machine: string): Promise<void> {
  const r = await runStep(t, startDaemonStep(loc))
  if (r.code === 0) return
  const journal = await runStep(t, journalStep(loc)).catch(() => undefined)
  const tail = (journal?.stdout ?? '').trim()
  const why = r.code === 4 ? `started, but its socket ${loc.socket} did not appear` : 'did not start'
  throw new RemoteError(
    `The repository's Docker daemon ${loc.unit} ${why} on ${machine}. Nothing of the repository was run.${tail ? `\nLast lines of its journal:\n${indent(tail)}` : ''}${r.stderr.trim() ? `\nsystemctl: ${r.stderr.trim()}` : ''}`,
    {host: machine, command: 'systemctl start', exitCode: r.code, stderr: tail || r.stderr},
    {suggestion: `Read the journal above (journalctl -u ${loc.unit} on the server); \`rdc context push-infra ${machine}\` reinstalls the unit.`},
  )
}

export async function stopDaemon(t: Transport, loc: RepoLocation, machine: string): Promise<void> {
  const r = await runStep(t, stopDaemonStep(loc))
  if (r.code !== 0) {
    throw new RemoteError(`Stopping ${loc.unit} failed on ${machine}: ${r.stderr.trim()}`, {host: machine, command: 'systemctl stop', exitCode: r.code, stderr: r.stderr})
  }
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n')
}
