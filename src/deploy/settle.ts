/**
 * After `up`: `docker compose up -d` exits 0 as soon as the containers are started, also when the process inside
 * dies a moment later (a port already taken, a missing variable). repo up watches the repository's daemon for a
 * few seconds and fails when a container exited with an error or restarts, naming the service and its last log
 * lines, instead of reporting a deployment that is not running.
 */
import {FailureError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import type {RepoLocation} from './layout.js'
import type {RemoteStep} from '../remote/step.js'

export interface SettleOptions {
  /** Seconds a container must have been running (without restarting) to count as up. */
  settleSeconds?: number
  /** The longest wait, in seconds; containers still starting then are left as they are. */
  timeoutSeconds?: number
  /** Containers started or stopped more than this long before the first look are from earlier runs. */
  windowSeconds: number
  pollMs?: number
  progress?: (line: string) => void
  sleep?: (ms: number) => Promise<void>
}

export const SETTLE_SECONDS = 3
export const SETTLE_TIMEOUT_SECONDS = 30
const LOG_LINES = 15

/** What `docker inspect` says of a container, the fields this needs. */
export interface InspectedContainer {
  Id: string
  Name: string
  RestartCount?: number
  State: {Status: string; Restarting?: boolean; ExitCode?: number; StartedAt?: string; FinishedAt?: string; OOMKilled?: boolean; Health?: {Status?: string}}
  Config?: {Labels?: Record<string, string> | null}
}

export interface Sample {
  /** The server's clock, seconds since the epoch. */
  now: number
  containers: InspectedContainer[]
}

export interface ContainerProblem {
  id: string
  container: string
  service: string
  what: string
}

export function inspectStep(loc: RepoLocation): RemoteStep {
  return {
    label: 'containers',
    argv: ['sh', '-c', 'echo "now=$(date +%s)"; ids=$(docker -H "$1" ps -aq --no-trunc) || exit 1; [ -z "$ids" ] && exit 0; exec docker -H "$1" inspect $ids', 'rdc-containers', loc.dockerHost],
    timeoutMs: 20_000,
  }
}

export function logsStep(loc: RepoLocation, id: string): RemoteStep {
  return {label: 'logs', argv: ['sh', '-c', 'docker -H "$1" logs --tail "$3" "$2" 2>&1', 'rdc-logs', loc.dockerHost, id, String(LOG_LINES)], timeoutMs: 20_000}
}

export function parseSample(stdout: string): Sample {
  const newline = stdout.indexOf('\n')
  const first = newline === -1 ? stdout : stdout.slice(0, newline)
  const now = Number(/^now=(\d+)/.exec(first)?.[1] ?? Number.NaN)
  const rest = newline === -1 ? '' : stdout.slice(newline + 1).trim()
  return {now, containers: rest === '' ? [] : (JSON.parse(rest) as InspectedContainer[])}
}

function seconds(iso: string | undefined): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso)
  // Docker writes 0001-01-01T00:00:00Z for "never".
  return Number.isNaN(t) || t < 0 ? Number.NaN : t / 1000
}

export function serviceName(c: InspectedContainer): string {
  const labels = c.Config?.Labels ?? {}
  return labels['rediacc.service_name'] ?? labels['com.docker.compose.service'] ?? c.Name.replace(/^\//, '')
}

/**
 * Compares the first sample with the latest: the containers of this run that exited with an error, died, were
 * OOM-killed, or restart; and whether every running one has been up for SETTLE seconds.
 */
export function judge(first: Sample, latest: Sample, windowSeconds: number, settleSeconds: number): {problems: ContainerProblem[]; settled: boolean} {
  const since = first.now - windowSeconds
  const initialRestarts = new Map(first.containers.map((c) => [c.Id, c.RestartCount ?? 0]))
  const problems: ContainerProblem[] = []
  let settled = true
  for (const c of latest.containers) {
    const started = seconds(c.State.StartedAt)
    const finished = seconds(c.State.FinishedAt)
    const recent = started >= since || finished >= since || !initialRestarts.has(c.Id)
    if (!recent && c.State.Status !== 'running' && c.State.Status !== 'restarting') continue
    const restarts = (c.RestartCount ?? 0) - (initialRestarts.get(c.Id) ?? 0)
    const base = {id: c.Id, container: c.Name.replace(/^\//, ''), service: serviceName(c)}
    const exit = c.State.ExitCode ?? 0
    if (c.State.Restarting || c.State.Status === 'restarting' || restarts > 0 || ((c.RestartCount ?? 0) > 0 && started >= since)) {
      // A restarted container that runs again reads exit code 0: say the code only while it is down.
      const code = c.State.Status === 'running' ? '' : `, exit code ${exit}`
      problems.push({...base, what: `restarts (restarted ${c.RestartCount ?? 0} time${c.RestartCount === 1 ? '' : 's'}${code}${c.State.OOMKilled ? ', out of memory' : ''})`})
    } else if ((c.State.Status === 'exited' || c.State.Status === 'dead') && (exit !== 0 || c.State.OOMKilled)) {
      problems.push({...base, what: `exited with code ${exit}${c.State.OOMKilled ? ' (out of memory)' : ''}`})
    } else if (c.State.Health?.Status === 'unhealthy') {
      problems.push({...base, what: 'is unhealthy (its healthcheck fails)'})
    } else if (c.State.Status === 'running' && (latest.now - started < settleSeconds || c.State.Health?.Status === 'starting')) {
      settled = false
    }
  }

  return {problems, settled}
}

/** Waits until the repository's containers stay up (or the time is out); the error names what failed. */
export async function settleAfterUp(t: Transport, loc: RepoLocation, machine: string, repo: string, o: SettleOptions): Promise<FailureError | undefined> {
  const settle = o.settleSeconds ?? SETTLE_SECONDS
  const deadline = Date.now() + (o.timeoutSeconds ?? SETTLE_TIMEOUT_SECONDS) * 1000
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const look = async (): Promise<Sample | null> => {
    const r = await t.exec(inspectStep(loc).argv, {timeoutMs: 20_000})
    if (r.code !== 0) return null
    try {
      return parseSample(r.stdout)
    } catch {
      return null
    }
  }

  const first = await look()
  // A daemon we cannot ask is not this check's business: the route report and diagnose speak about it.
  if (first === null) return undefined
  let latest = first
  o.progress?.(`${machine}: checking that the containers stay up`)
  for (;;) {
    const {problems, settled} = judge(first, latest, o.windowSeconds, settle)
    if (problems.length > 0) return failure(t, loc, machine, repo, problems)
    if (settled || Date.now() >= deadline) return undefined
    await sleep(o.pollMs ?? 1000)
    latest = (await look()) ?? latest
  }
}

async function failure(t: Transport, loc: RepoLocation, machine: string, repo: string, problems: ContainerProblem[]): Promise<FailureError> {
  const parts: string[] = []
  for (const p of problems) {
    const logs = await t.exec(logsStep(loc, p.id).argv, {timeoutMs: 20_000}).catch(() => null)
    const lines = (logs?.stdout ?? '').trimEnd().split('\n').filter((line) => line !== '')
    const tail = lines.length === 0 ? '    (no log output)' : lines.map((line) => `    ${line}`).join('\n')
    parts.push(`service '${p.service}' (container ${p.container}) ${p.what}; its last log lines:\n${tail}`)
  }

  const names = problems.map((p) => `'${p.service}'`).join(', ')
  return new FailureError(`up ran on ${machine}, but ${problems.length === 1 ? 'a container' : 'containers'} of ${repo} did not stay up:\n${parts.join('\n')}`, {
    suggestion: `Fix ${names} (an address already in use means another process holds the port: with host networking bind to the service's own \${SERVICE_IP}); then run rdc repo up ${repo} again. More log lines: docker -H ${loc.dockerHost} logs ${problems[0].container} on the server.`,
  })
}
