/**
 * `rdc repo up`: check the folder locally, then over one SSH connection: probe, (image + mount), sync the files,
 * start the repository's daemon, run the Rediaccfiles' prep and up with live output. Running it again converges:
 * an unchanged folder sends no file content, and a running daemon and mounted image are left as they are.
 */
import {InterruptedError, type RdcError, type RdcErrorJson, RemoteError, UsageError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import {checkRepositoryFolder} from './check-local.js'
import {imageHint} from './create-hint.js'
import {enableAtBoot} from './boot.js'
import {ensureDaemon} from './daemon.js'
import {acquireRepoLock, type RepoLock} from './lock.js'
import {type RediaccfileRun, rediaccfileError, runRediaccfile} from './rediaccfile-run.js'
import {runChecked} from '../remote/step.js'
import type {LiveOutput} from './remote.js'
import type {RepoTarget} from './repositories.js'
import {createImageStep, mountStep, parseRepoProbe, type Probe, probeStep} from './steps.js'
import type {SyncReport} from './sync.js'

export interface RepoUpOptions {
  target: RepoTarget
  connect: () => Promise<Transport>
  /** Attach the repository's image (made when missing) at its path before anything runs. */
  mount?: boolean
  /** Overrides the recorded local folder. */
  localDir?: string
  live: LiveOutput
  /** Status lines (`machine: syncing …`); not the Rediaccfiles' output. */
  progress?: (line: string) => void
  env?: NodeJS.ProcessEnv
  /** Seconds to wait for another up/down of this repository on the server; 0 (default) refuses at once. */
  lockWaitSeconds?: number
  /** Aborted on Ctrl-C: the server's running step is stopped too and no further step starts. */
  signal?: AbortSignal
}

export interface PhaseTiming {
  phase: 'check' | 'connect' | 'lock' | 'probe' | 'image' | 'mount' | 'sync' | 'boot' | 'daemon' | 'prep' | 'up' | 'settle'
  durationMs: number
}

export interface RepoUpResult {
  ok: boolean
  machine: string
  repository: string
  networkId: number
  path: string
  services: Record<string, {slot: number; ip: string}>
  sync: {
    filesSent: number
    contentBytes: number
    streamBytes: number
    deleted: number
    unchanged: number
    /** Data folders the compose files mount read-write: never sent, changed or deleted. */
    protected: string[]
    /** Local paths not applied because a data folder is in the way. */
    conflicts: string[]
  } | null
  mounted?: boolean
  /** Set when the server's renet was brought to this CLI's version (only the route server restarted). */
  renet?: import('./renet-sync.js').RenetUpdate
  /** Each Rediaccfile's result per step (folder, status, exitCode, durationMs). */
  steps: {prep: RediaccfileRun['summary']['steps']; up: RediaccfileRun['summary']['steps']}
  phases: PhaseTiming[]
  durationMs: number
  error?: RdcErrorJson
}

/** Refusals that need no server: a --mount on a plain repository, no local folder. */
function localPreflight(o: RepoUpOptions): string {
  const {target} = o
  if (o.mount && !target.repo.size) {
    throw new UsageError(`Repository "${target.name}" has no image (it was created without --size), so there is nothing to mount.`, {
      field: '--mount',
      suggestion: imageHint(target.name, target.repo, target.machineName),
    })
  }

  const dir = o.localDir ?? target.repo.path
  if (!dir) {
    throw new UsageError(`Repository "${target.name}" has no local folder recorded.`, {field: '--path', suggestion: `Pass --path <folder>, or record it: rdc repo delete ${target.name} && rdc repo create ${target.name} -m ${target.machineName} --path <folder>`})
  }

  return dir
}

export function requireRenet(probe: Probe, machine: string): void {
  if (!probe.renet || !probe.unit) {
    const what = !probe.renet ? 'renet (/usr/bin/renet)' : 'the per-repository daemon unit (rediacc-docker@.service)'
    throw new RemoteError(`${machine} has no ${what}: the machine is not set up for repositories yet.`, {host: machine}, {suggestion: `Set it up first: rdc context push-infra ${machine}`})
  }
}

/** The result is the --json answer; `error` is set when a Rediaccfile step failed (the command exits with it). */
export async function repoUp(o: RepoUpOptions): Promise<{result: RepoUpResult; error?: RdcError}> {
  const started = Date.now()
  const {target} = o
  const {location: loc, machineName: machine} = target
  const phases: PhaseTiming[] = []
  const interrupted = () =>
    new InterruptedError(`repo up of ${target.name} on ${machine} was interrupted${phases.length > 0 ? ` during ${phases.at(-1)!.phase}` : ''}; no further step ran.`, {
      suggestion: `Run rdc repo up ${target.name} again: it converges from wherever this one stopped.`,
    })
  const timed = async <T>(phase: PhaseTiming['phase'], fn: () => Promise<T> | T): Promise<T> => {
    if (o.signal?.aborted) throw interrupted()
    const t0 = Date.now()
    try {
      return await fn()
    } finally {
      phases.push({phase, durationMs: Date.now() - t0})
    }
  }

  const localDir = localPreflight(o)
  await timed('check', () => checkRepositoryFolder(localDir, 'up'))
  const result: RepoUpResult = {ok: false, machine, repository: target.name, networkId: loc.networkId, path: loc.path, services: {}, sync: null, steps: {prep: [], up: []}, phases, durationMs: 0}
  // Loaded while the SSH handshake is under way (the sync's modules and yaml take a while to load on a busy machine).
  const syncModule = import('./sync.js')
  syncModule.catch(() => undefined)
  const connection = await timed('connect', o.connect)
  let lock: RepoLock | undefined
  try {
    lock = await timed('lock', () => acquireRepoLock(connection, loc, machine, {action: 'up', waitSeconds: o.lockWaitSeconds ?? 0, progress: o.progress}))
    const t = lock.transport
    const held = lock
    // An abort before this point needs nothing stopped on the server: the next phase refuses to start.
    o.signal?.addEventListener(
      'abort',
      () => {
        o.progress?.(`${machine}: interrupted: stopping what runs on the server`)
        held.interrupt().catch(() => undefined)
      },
      {once: true},
    )
    const probe = await timed('probe', async () => parseRepoProbe((await runChecked(t, probeStep(loc), machine, 'Reading the server state')).stdout))
    requireRenet(probe, machine)
    result.renet = await (await import('./renet-sync.js')).keepRenetAtCliVersion(t, machine, {progress: (line) => (o.progress ?? ((l) => o.live.stderr(`${l}\n`)))(line)})
    if (target.repo.size) {
      if (o.mount) {
        if (!probe.image) {
          o.progress?.(`${machine}: making the ${target.repo.size} image ${loc.image}`)
          await timed('image', () => runChecked(t, createImageStep(loc, target.repo.size!), machine, 'Making the repository image'))
        }

        if (!probe.mounted) await timed('mount', () => runChecked(t, mountStep(loc), machine, `Mounting ${loc.image} at ${loc.path}`, 'Loop devices must be available on the server (losetup -f).'))
        result.mounted = true
      } else if (!probe.mounted) {
        throw new UsageError(`Repository "${target.name}" is image-backed and its image is not mounted at ${loc.path} on ${machine}.`, {
          field: '--mount',
          suggestion: `Mount it as part of the deploy: rdc repo up ${target.name} --mount`,
        })
      } else result.mounted = true
    }

    o.progress?.(`${machine}: syncing ${localDir} → ${loc.path}`)
    const {syncRepository} = await syncModule
    const report: SyncReport = await timed('sync', () =>
      syncRepository({localDir, remoteDir: loc.path, exec: (argv, opts) => t.exec(argv, opts), renet: [loc.renet], env: o.env ?? process.env}),
    )
    result.sync = {
      filesSent: report.plan.upload.length,
      contentBytes: report.plan.bytes,
      streamBytes: report.streamBytes,
      deleted: report.plan.delete.length,
      unchanged: report.plan.unchanged,
      protected: report.protected,
      conflicts: report.plan.conflicts,
    }
    for (const path of report.plan.conflicts) o.live.stderr(`${machine}: warning: ${path} was not sent: a data folder of the compose file is in the way\n`)
    o.progress?.(`${machine}: ${report.plan.upload.length} file(s) sent (${report.plan.bytes} bytes), ${report.plan.delete.length} deleted, ${report.plan.unchanged} unchanged`)

    // Enabled (and an image's mount unit installed) on every up, so a reboot brings back what up started.
    await timed('boot', () => enableAtBoot(t, loc, machine, Boolean(target.repo.size)))
    if (!(probe.socket && probe.daemon === 'active')) {
      o.progress?.(`${machine}: starting ${loc.unit}`)
      await timed('daemon', () => ensureDaemon(t, loc, machine))
    } else await (await import('./daemon-networks.js')).ensureDaemonNetworks(t, loc, machine, o.progress)

    let error: RdcError | undefined
    for (const action of ['prep', 'up'] as const) {
      o.progress?.(`${machine}: ${action}`)
      const run = await timed(action, () => runRediaccfile(t, loc, action, machine, o.live))
      result.steps[action] = run.summary.steps
      result.services = run.summary.services
      error = o.signal?.aborted ? interrupted() : rediaccfileError(run, machine, target.name)
      if (error) break
    }

    // up -d returns once containers start; a service that dies right after (a port taken) fails the deploy here.
    if (!error) error = await timed('settle', async () => (await import('./settle.js')).settleAfterUp(t, loc, machine, target.name, {windowSeconds: Math.ceil(phases.filter((p) => p.phase === 'prep' || p.phase === 'up').reduce((n, p) => n + p.durationMs, 0) / 1000) + 10, progress: o.progress}))

    result.ok = error === undefined
    if (error) result.error = error.toJSON()
    return {result, error}
  } catch (error) {
    // A step the interrupt stopped fails in its own way (a sync cut short, a daemon start killed): say what happened.
    if (o.signal?.aborted && !(error instanceof InterruptedError)) throw interrupted()
    throw error
  } finally {
    await lock?.release()
    result.durationMs = Date.now() - started
    await connection.close()
  }
}
