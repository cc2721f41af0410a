/**
 * `rdc repo status`: the services of `.rediacc.json` with their IPs, the containers of the repository's daemon and
 * the routes the route server serves for this network id. One connection, three reads.
 */
import type {HealthReport, Refusal, RouteEntry, RoutesReport} from '../renet/router/types.js'
import {serviceIp} from '../net/network.js'
import type {Transport} from '../remote/transport.js'
import {runStep} from '../remote/step.js'
import type {RepoTarget} from './repositories.js'
import {containersStep, parseRepoProbe, probeStep, routerHealthStep, routerSilent, routesStep} from './steps.js'
import {requireRenet} from './up.js'

export interface ContainerState {
  name: string
  service: string | null
  state: string
  status: string
  image: string
}

export interface ServiceStatus {
  name: string
  slot: number
  ip: string
  containers: ContainerState[]
  routes: Array<Pick<RouteEntry, 'protocol' | 'rule' | 'entryPoints' | 'backends' | 'source' | 'router'>>
}

export interface RepoStatusResult {
  machine: string
  repository: string
  networkId: number
  path: string
  daemon: string
  mounted?: boolean
  services: ServiceStatus[]
  /** Containers whose service is not in .rediacc.json (started by hand). */
  otherContainers: ContainerState[]
  /** Labels of this repository the route server refused (an unknown entry point, a taken hostname…). */
  refusals: Array<Pick<Refusal, 'container' | 'object' | 'kind' | 'reason'>>
  /** Set when the route server could not be asked (routes then unknown, not absent). */
  routesError?: string
}

export function parseSlots(text: string | null): Map<string, number> {
  const slots = new Map<string, number>()
  if (!text) return slots
  const data = JSON.parse(text) as {services?: Record<string, {slot?: unknown}>}
  for (const [name, v] of Object.entries(data.services ?? {})) if (typeof v?.slot === 'number') slots.set(name, v.slot)
  return slots
}

/** `docker ps --format '{{json .}}'` lines; Labels is one `k=v,k=v` string there. */
export function parseContainers(stdout: string): ContainerState[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => {
      const c = JSON.parse(l) as {Names?: string; State?: string; Status?: string; Image?: string; Labels?: string}
      const labels = new Map((c.Labels ?? '').split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const))
      return {name: c.Names ?? '', service: labels.get('rediacc.service_name') ?? labels.get('com.docker.compose.service') ?? null, state: c.State ?? 'unknown', status: c.Status ?? '', image: c.Image ?? ''}
    })
}

export async function repoStatus(o: {target: RepoTarget; connect: () => Promise<Transport>}): Promise<RepoStatusResult> {
  const {target} = o
  const {location: loc, machineName: machine} = target
  const t = await o.connect()
  try {
    const probe = parseRepoProbe((await runStep(t, probeStep(loc))).stdout)
    requireRenet(probe, machine)
    const slots = parseSlots((await t.get(`${loc.path}/.rediacc.json`))?.toString('utf8') ?? null)
    const containers = probe.socket ? parseContainers((await runStep(t, containersStep(loc))).stdout) : []
    const routesRun = await runStep(t, routesStep())
    let routes: RouteEntry[] = []
    let routesError: string | undefined
    if (routesRun.code === 0) {
      try {
        routes = (JSON.parse(routesRun.stdout) as RoutesReport).routes.filter((r) => r.networkId === loc.networkId)
      } catch {
        routesError = 'the route server answered something other than JSON'
      }
    } else routesError = routerSilent(routesRun)

    // /health answers 503 with its body while degraded, so its exit code says nothing; only JSON counts.
    let refusals: RepoStatusResult['refusals'] = []
    try {
      const health = JSON.parse((await runStep(t, routerHealthStep())).stdout) as HealthReport
      refusals = (health.refusals ?? []).filter((r) => r.networkId === loc.networkId).map((r) => ({container: r.container, ...(r.object ? {object: r.object} : {}), kind: r.kind, reason: r.reason}))
    } catch {}

    const byContainer = new Map(containers.map((c) => [c.name, c.service]))
    const services: ServiceStatus[] = [...slots]
      .sort(([, a], [, b]) => a - b)
      .map(([name, slot]) => ({
        name,
        slot,
        ip: serviceIp(loc.networkId, slot),
        containers: containers.filter((c) => c.service === name),
        routes: routes
          .filter((r) => byContainer.get(r.container) === name)
          .map((r) => ({protocol: r.protocol, router: r.router, rule: r.rule, entryPoints: r.entryPoints, backends: r.backends, source: r.source})),
      }))
    return {
      machine,
      repository: target.name,
      networkId: loc.networkId,
      path: loc.path,
      daemon: probe.daemon,
      ...(target.repo.size ? {mounted: probe.mounted} : {}),
      services,
      otherContainers: containers.filter((c) => c.service === null || !slots.has(c.service)),
      refusals,
      ...(routesError ? {routesError} : {}),
    }
  } finally {
    await t.close()
  }
}
