/**
 * Every daemon's containers → one Traefik dynamic configuration plus the reports behind /health, /routes.json
 * and /ports. Containers are taken oldest first (creation time, then id), so "who had a hostname first" does not
 * depend on discovery order and survives restarts. Plans are cached per container: a rebuild after one event
 * re-plans only what changed.
 */
import {PlanSettings, Plan, PlannedRouter, planContainer} from './plan.js'
import type {PortAllocator} from './ports.js'
import type {ContainerInfo, Refusal, RouteEntry, SkippedContainer} from './types.js'

export interface DaemonContainers {
  networkId: number
  containers: ContainerInfo[]
}

type Obj = Record<string, any>

export interface BuildResult {
  config: {http?: Obj; tcp?: Obj; udp?: Obj}
  routes: RouteEntry[]
  refusals: Refusal[]
  skipped: SkippedContainer[]
  counts: {routers: {http: number; tcp: number; udp: number}; services: {http: number; tcp: number; udp: number}; middlewares: number}
}

function signature(c: ContainerInfo, networkId: number): string {
  return `${networkId}\n${c.created}\n${c.health}\n${c.name}\n${JSON.stringify(c.labels)}`
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export class ConfigBuilder {
  /** Plans by container id; pruned on every build to the containers that exist, so it never outgrows them. */
  private readonly cache = new Map<string, {sig: string | null; plan: Plan}>()

  constructor(
    private readonly settings: PlanSettings,
    private readonly ports: PortAllocator,
  ) {}

  get cachedPlans(): number {
    return this.cache.size
  }

  build(daemons: DaemonContainers[]): BuildResult {
    const plans: Plan[] = []
    const live = new Set<string>()
    for (const d of daemons) {
      for (const c of d.containers) {
        const key = `${d.networkId}/${c.id}`
        live.add(key)
        let entry = this.cache.get(key)
        // The daemon hands over the same object while a container is unchanged: no need to compare labels.
        // A signature is only computed when a different object arrives for a known container.
        if (entry === undefined) {
          entry = {sig: null, plan: planContainer(c, d.networkId, this.settings)}
          this.cache.set(key, entry)
        } else if (entry.plan.container !== c) {
          entry.sig ??= signature(entry.plan.container, d.networkId)
          const sig = signature(c, d.networkId)
          entry = sig === entry.sig ? {sig, plan: {...entry.plan, container: c}} : {sig, plan: planContainer(c, d.networkId, this.settings)}
          this.cache.set(key, entry)
        }

        plans.push(entry.plan)
      }
    }

    for (const key of this.cache.keys()) if (!live.has(key)) this.cache.delete(key)
    plans.sort((a, b) => a.container.created - b.container.created || (a.container.id < b.container.id ? -1 : a.container.id > b.container.id ? 1 : 0))
    return this.merge(plans)
  }

  private merge(plans: Plan[]): BuildResult {
    const http: Obj = {routers: {}, services: {}, middlewares: {}}
    const tcp: Obj = {routers: {}, services: {}, middlewares: {}}
    const udp: Obj = {routers: {}, services: {}}
    const groups = {http, tcp, udp}
    const refusals: Refusal[] = []
    const skipped: SkippedContainer[] = []
    const routes: RouteEntry[] = []
    /** hostname (or `*@entrypoint` for TCP catch-alls) → network id that holds it. */
    const claims = new Map<string, number>()
    const udpEntrypoints = new Map<string, string>()
    this.ports.beginBuild()

    for (const plan of plans) {
      const c = plan.container
      const refuse = (r: Omit<Refusal, 'container' | 'containerId' | 'networkId'>) => refusals.push({container: c.name, containerId: c.id, networkId: plan.networkId, ...r})
      refusals.push(...plan.refusals)
      if (plan.skipped !== null) skipped.push({container: c.name, containerId: c.id, networkId: plan.networkId, reason: plan.skipped})
      for (const note of plan.notes) skipped.push({container: c.name, containerId: c.id, networkId: plan.networkId, reason: note})

      for (const [proto, services] of Object.entries(plan.services) as Array<[keyof typeof groups, Obj]>) {
        for (const [name, svc] of Object.entries(services)) {
          const existing = groups[proto].services[name]
          if (existing === undefined) groups[proto].services[name] = {loadBalancer: {...svc.loadBalancer, servers: [...svc.loadBalancer.servers]}}
          else if (!this.mergeService(existing, svc, proto)) refuse({object: name, kind: 'name-conflict', reason: `service ${name} is defined differently by another container of this repository`})
        }
      }

      for (const [proto, middlewares] of Object.entries(plan.middlewares) as Array<['http' | 'tcp', Obj]>) {
        for (const [name, m] of Object.entries(middlewares)) {
          const existing = groups[proto].middlewares[name]
          if (existing === undefined) groups[proto].middlewares[name] = m
          else if (!sameJson(existing, m)) refuse({object: name, kind: 'name-conflict', reason: `middleware ${name} is defined differently by another container of this repository`})
        }
      }

      for (const pr of plan.routers) this.placeRouter(pr, plan, groups, claims, udpEntrypoints, refuse, routes)
    }

    this.ports.endBuild()
    const config: BuildResult['config'] = {}
    for (const [proto, group] of Object.entries(groups)) {
      const cleaned: Obj = {}
      for (const [k, v] of Object.entries(group)) if (Object.keys(v as Obj).length > 0) cleaned[k] = v
      if (Object.keys(cleaned).length > 0) config[proto as keyof typeof groups] = cleaned
    }

    for (const route of routes) {
      const svc = groups[route.protocol].services[route.service]?.loadBalancer
      route.backends = (svc?.servers ?? []).map((s: Obj) => s.url ?? s.address)
    }

    routes.sort((a, b) => (a.router < b.router ? -1 : a.router > b.router ? 1 : 0))
    return {
      config,
      routes,
      refusals,
      skipped,
      counts: {
        routers: {http: Object.keys(http.routers).length, tcp: Object.keys(tcp.routers).length, udp: Object.keys(udp.routers).length},
        services: {http: Object.keys(http.services).length, tcp: Object.keys(tcp.services).length, udp: Object.keys(udp.services).length},
        middlewares: Object.keys(http.middlewares).length + Object.keys(tcp.middlewares).length,
      },
    }
  }

  /** Two containers of one repository with the same service name: servers are merged when the rest agrees. */
  private mergeService(existing: Obj, incoming: Obj, _proto: string): boolean {
    const a = existing.loadBalancer
    const b = incoming.loadBalancer
    if (!sameJson({...a, servers: undefined}, {...b, servers: undefined})) return false
    const seen = new Set(a.servers.map((s: Obj) => JSON.stringify(s)))
    for (const s of b.servers) if (!seen.has(JSON.stringify(s))) a.servers = [...a.servers, s]
    return true
  }

  private placeRouter(
    pr: PlannedRouter,
    plan: Plan,
    groups: Record<'http' | 'tcp' | 'udp', Obj>,
    claims: Map<string, number>,
    udpEntrypoints: Map<string, string>,
    refuse: (r: Omit<Refusal, 'container' | 'containerId' | 'networkId'>) => void,
    routes: RouteEntry[],
  ): void {
    const nid = plan.networkId
    const router: Obj = {...pr.router}
    if (pr.needsPort) {
      const port = this.ports.claim(pr.protocol as 'tcp' | 'udp', nid, pr.labelName)
      if (port === null) {
        refuse({
          object: pr.labelName,
          kind: 'ports-exhausted',
          reason: `${pr.protocol} router ${pr.labelName} names no entry point and the dynamic ${pr.protocol.toUpperCase()} range is ${pr.protocol === 'udp' ? 'full or not configured' : 'full'}`,
        })
        return
      }

      router.entryPoints = [`${pr.protocol}-${port}`]
    }

    const keys = pr.hosts.flatMap((h) => (h === '*' ? (router.entryPoints as string[]).map((ep) => `*@${ep}`) : [h]))
    const taken = keys.find((k) => claims.has(k) && claims.get(k) !== nid)
    if (taken !== undefined) {
      const what = taken.startsWith('*@') ? `the catch-all HostSNI(\`*\`) on ${taken.slice(2)}` : taken
      refuse({object: pr.labelName, kind: 'foreign-hostname', reason: `router ${pr.labelName}: ${what} is already routed by repository ${claims.get(taken)}`})
      return
    }

    if (pr.protocol === 'udp') {
      const owner = (router.entryPoints as string[]).map((ep) => [ep, udpEntrypoints.get(ep)] as const).find(([, o]) => o !== undefined)
      if (owner) {
        refuse({object: pr.labelName, kind: 'udp-entrypoint-taken', reason: `router ${pr.labelName}: UDP entry point ${owner[0]} already carries router ${owner[1]}; Traefik uses one UDP router per entry point`})
        return
      }
    }

    const existing = groups[pr.protocol].routers[pr.name]
    if (existing !== undefined) {
      if (!sameJson(existing, router)) refuse({object: pr.labelName, kind: 'name-conflict', reason: `router ${pr.labelName} is defined differently by another container of this repository`})
      return
    }

    for (const k of keys) claims.set(k, nid)
    if (pr.protocol === 'udp') for (const ep of router.entryPoints as string[]) udpEntrypoints.set(ep, pr.name)
    groups[pr.protocol].routers[pr.name] = router
    routes.push({
      protocol: pr.protocol,
      router: pr.name,
      labelName: pr.labelName,
      rule: router.rule ?? null,
      entryPoints: router.entryPoints ?? [],
      service: router.service,
      backends: [],
      networkId: nid,
      container: plan.container.name,
      source: plan.source,
    })
  }
}
