/**
 * `rdc repo logs` and `rdc repo exec`: the containers of a repository's own daemon, found by their compose
 * service name, then `docker logs` / `docker exec` there with the streams wired through to this terminal.
 */
import {UsageError} from '../errors.js'
import {LinePrefixer} from '../renet/rediaccfile/line-prefixer.js'
import type {StreamingTransport, StreamOptions} from '../remote/transport.js'
import {execStep, type LogsOptions, logsStep} from './inside-steps.js'
import {runChecked} from '../remote/step.js'
import type {RepoTarget} from './repositories.js'
import {type ContainerState, parseContainers, parseSlots} from './status.js'
import {containersStep, parseRepoProbe, probeStep} from './steps.js'
import {requireRenet} from './up.js'

export interface InsideOptions {
  target: RepoTarget
  connect: () => Promise<StreamingTransport>
  stdout: (chunk: Buffer) => void
  stderr: (chunk: Buffer) => void
  /** Ctrl-C: a follow ends, an exec's stdin closes. */
  signal?: AbortSignal
}

/** The repository's containers, with the service names known from .rediacc.json (for the error's list). */
async function containersOf(t: StreamingTransport, target: RepoTarget): Promise<{containers: ContainerState[]; services: string[]}> {
  const {location: loc, machineName: machine} = target
  const probe = parseRepoProbe((await runChecked(t, probeStep(loc), machine, 'Reading the server state')).stdout)
  requireRenet(probe, machine)
  if (!probe.socket || probe.daemon !== 'active') {
    throw new UsageError(`Repository "${target.name}" is not running on ${machine}: its Docker daemon ${loc.unit} is ${probe.daemon}.`, {
      field: 'name',
      suggestion: `Start it: rdc repo up ${target.name}`,
    })
  }

  const containers = parseContainers((await runChecked(t, containersStep(loc), machine, 'Listing the containers')).stdout)
  const slots = parseSlots((await t.get(`${loc.path}/.rediacc.json`))?.toString('utf8') ?? null)
  const services = [...new Set([...slots.keys(), ...containers.flatMap((c) => (c.service ? [c.service] : []))])].sort()
  return {containers, services}
}

function unknownService(target: RepoTarget, service: string, services: string[], command: 'logs' | 'exec'): UsageError {
  const example = services[0] ?? '<service>'
  return new UsageError(`Repository "${target.name}" on ${target.machineName} has no service "${service}"${services.length > 0 ? `; its services: ${services.join(', ')}` : ' (it has no services yet)'}.`, {
    field: 'service',
    suggestion: command === 'logs' ? `Name one as in its compose file: rdc repo logs ${target.name} ${example}` : `Name one as in its compose file: rdc repo exec ${target.name} ${example} -- sh`,
  })
}

export interface RepoLogsResult {
  machine: string
  repository: string
  containers: Array<{name: string; service: string | null; state: string}>
  /** True when Ctrl-C ended a follow. */
  interrupted: boolean
}

/** Every container of the service (all of the repository without one), each line prefixed by its service when several. */
export async function repoLogs(o: InsideOptions & LogsOptions & {service?: string}): Promise<RepoLogsResult> {
  const {target} = o
  const t = await o.connect()
  try {
    const {containers, services} = await containersOf(t, target)
    const chosen = o.service === undefined ? containers : containers.filter((c) => c.service === o.service)
    if (o.service !== undefined && chosen.length === 0) throw unknownService(target, o.service, services, 'logs')
    const several = chosen.length > 1
    const width = Math.max(0, ...chosen.map((c) => (c.service ?? c.name).length))
    await Promise.all(
      chosen.map(async (c) => {
        const prefix = several ? `${(c.service ?? c.name).padEnd(width)} | ` : ''
        const out = new LinePrefixer(prefix, (text) => o.stdout(Buffer.from(text)))
        const err = new LinePrefixer(prefix, (text) => o.stderr(Buffer.from(text)))
        try {
          await t.stream(logsStep(target.location, c.name, o).argv, {stdout: out.push, stderr: err.push, ...(o.signal ? {signal: o.signal} : {})})
        } finally {
          out.end()
          err.end()
        }
      }),
    )
    return {machine: target.machineName, repository: target.name, containers: chosen.map((c) => ({name: c.name, service: c.service, state: c.state})), interrupted: o.signal?.aborted ?? false}
  } finally {
    await t.close()
  }
}

export interface RepoExecResult {
  machine: string
  repository: string
  service: string
  container: string
  command: string[]
  tty: boolean
  exitCode: number
}

/** Runs the command in the service's running container; its exit code is the result's (and the caller's). */
export async function repoExec(
  o: InsideOptions & {service: string; command: string[]; stdin?: NodeJS.ReadableStream; pty?: StreamOptions['pty']; onResize?: StreamOptions['onResize']},
): Promise<RepoExecResult> {
  const {target} = o
  if (o.command.length === 0) {
    throw new UsageError('No command to run in the container.', {field: 'command', suggestion: `Give it after --: rdc repo exec ${target.name} ${o.service} -- sh`})
  }

  const t = await o.connect()
  try {
    const {containers, services} = await containersOf(t, target)
    const ofService = containers.filter((c) => c.service === o.service)
    if (ofService.length === 0) throw unknownService(target, o.service, services, 'exec')
    const running = ofService.find((c) => c.state === 'running')
    if (!running) {
      throw new UsageError(`No container of service "${o.service}" runs in repository "${target.name}" on ${target.machineName} (${ofService.map((c) => `${c.name}: ${c.state}`).join(', ')}).`, {
        field: 'service',
        suggestion: `Start it: rdc repo up ${target.name}; its last lines: rdc repo logs ${target.name} ${o.service} --tail 50`,
      })
    }

    const tty = o.pty !== undefined
    const exitCode = await t.stream(execStep(target.location, running.name, o.command, {tty}).argv, {
      stdout: o.stdout,
      stderr: o.stderr,
      ...(o.stdin ? {stdin: o.stdin} : {}),
      ...(o.pty ? {pty: o.pty} : {}),
      ...(o.onResize ? {onResize: o.onResize} : {}),
      ...(o.signal ? {signal: o.signal} : {}),
    })
    return {machine: target.machineName, repository: target.name, service: o.service, container: running.name, command: o.command, tty, exitCode}
  } finally {
    await t.close()
  }
}


/** Docker's --since: a Go duration (10m, 1h30m, 45s) or a date/time; anything else is refused before connecting. */
export function checkSince(since: string): void {
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(since) || /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(since) || /^\d+(\.\d+)?$/.test(since)) return
  throw new UsageError(`--since "${since}" is neither a duration nor a time.`, {field: '--since', suggestion: 'Give a duration such as 10m, 2h or 1h30m, or a time such as 2026-12-06T18:00:00Z.'})
}
