/**
 * `rdc repo down`: the Rediaccfiles' down (Z→A, best effort: renet carries on past failures), then the daemon
 * stops; `--unmount` then detaches the image. Stopping always proceeds, even when a down step failed.
 */
import {FailureError, type RdcError, UsageError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import {disableAtBoot} from './boot.js'
import {stopDaemon} from './daemon.js'
import {acquireRepoLock, type RepoLock} from './lock.js'
import {type RediaccfileRun, runRediaccfile} from './rediaccfile-run.js'
import {runChecked} from '../remote/step.js'
import type {LiveOutput} from './remote.js'
import type {RepoTarget} from './repositories.js'
import {parseRepoProbe, probeStep, unmountStep} from './steps.js'
import {requireRenet, type RepoUpResult} from './up.js'

export interface RepoDownOptions {
  target: RepoTarget
  connect: () => Promise<Transport>
  unmount?: boolean
  live: LiveOutput
  progress?: (line: string) => void
  /** Seconds to wait for another up/down of this repository on the server; 0 (default) refuses at once. */
  lockWaitSeconds?: number
}

export interface RepoDownResult {
  ok: boolean
  machine: string
  repository: string
  networkId: number
  /** Each Rediaccfile's down, in the order run (Z→A); empty when nothing was running. */
  steps: RediaccfileRun['summary']['steps']
  /** Why down was not run (daemon not running, image not mounted). */
  note?: string
  daemon: 'stopped'
  unmounted?: boolean
  durationMs: number
  error?: RepoUpResult['error']
}

export async function repoDown(o: RepoDownOptions): Promise<{result: RepoDownResult; error?: RdcError}> {
  const started = Date.now()
  const {target} = o
  const {location: loc, machineName: machine} = target
  if (o.unmount && !target.repo.size) {
    throw new UsageError(`Repository "${target.name}" is not image-backed, so there is nothing to unmount.`, {field: '--unmount', suggestion: 'Leave --unmount out.'})
  }

  const result: RepoDownResult = {ok: false, machine, repository: target.name, networkId: loc.networkId, steps: [], daemon: 'stopped', durationMs: 0}
  const connection = await o.connect()
  let error: RdcError | undefined
  let lock: RepoLock | undefined
  try {
    lock = await acquireRepoLock(connection, loc, machine, {action: 'down', waitSeconds: o.lockWaitSeconds ?? 0, progress: o.progress})
    const t = lock.transport
    const probe = parseRepoProbe((await runChecked(t, probeStep(loc), machine, 'Reading the server state')).stdout)
    requireRenet(probe, machine)
    if (target.repo.size && !probe.mounted) result.note = `the image is not mounted at ${loc.path}: nothing of the repository can be running`
    else if (!probe.socket || probe.daemon !== 'active') result.note = `${loc.unit} is not running: no containers to stop`
    else {
      o.progress?.(`${machine}: down`)
      const run = await runRediaccfile(t, loc, 'down', machine, o.live)
      result.steps = run.summary.steps
      // A down that could not even start (no Rediaccfile left on the server) is reported but does not stop the rest.
      if (!run.summary.ok) {
        const failed = run.summary.error ? run.summary.error.message : `down failed in ${run.summary.failed.join(', ')}`
        error = new FailureError(`${machine}: ${failed}; the daemon was stopped anyway (its containers stop with it).`, {
          suggestion: `Read the output above (prefixed "${machine} | "); rdc repo status ${target.name} shows what is left.`,
        })
      }
    }

    o.progress?.(`${machine}: stopping ${loc.unit}`)
    await stopDaemon(t, loc, machine)
    await disableAtBoot(t, loc, machine)
    if (o.unmount) {
      o.progress?.(`${machine}: unmounting ${loc.path}`)
      await runChecked(t, unmountStep(loc), machine, `Unmounting ${loc.path}`, 'Something on the server still uses the folder (fuser -vm <path> shows what).')
      result.unmounted = true
    }

    result.ok = error === undefined
    if (error) result.error = error.toJSON()
    return {result, error}
  } finally {
    await lock?.release()
    result.durationMs = Date.now() - started
    await connection.close()
  }
}
