/**
 * Every daemon's containers → one Traefik dynamic configuration plus the reports behind /health, /routes.json
 * and /ports. Containers are taken oldest first (creation time, then id), so "who had a hostname first" does not
 * depend on discovery order and survives restarts. Plans are cached per container: a rebuild after one event
 * re-plans only what changed.
 */
import {IPV6_SUFFIX, withIPv6Twins} from '../../net/entrypoints.js'
import {LabelKeyCache} from './labels.js'
import {planContainer} from './plan.js'
import {entrypointSet, type Plan, type PlannedRouter, type PlanSettings} from './plan-model.js'
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

/** The same object with its keys in sorted order, so the body does not depend on which container came first. */
function sortedCopy(o: Obj, keys: string[]): Obj {
  const out: Obj = {}
  for (const k of keys.sort()) out[k] = o[k]
  return out
}

function isEmpty(o: Obj): boolean {
  for (const _ in o) return false
  return true
}

/**
 * Two containers of one repository with the same service name: one load balancer with both servers when the rest
 * agrees (a new object; the plans' own stay as they are), null when it does not.
 */
function mergeService(existing: Obj, incoming: Obj): Obj | null {
  const a = existing.loadBalancer
  const b = incoming.loadBalancer
  if (!sameJson({...a, servers: undefined}, {...b, servers: undefined}) || !sameJson(existing.middlewares, incoming.middlewares)) return null
  const seen = new Set(a.servers.map((s: Obj) => JSON.stringify(s)))
  const added = b.servers.filter((s: Obj) => !seen.has(JSON.stringify(s)))
  return added.length === 0 ? existing : {...existing, loadBalancer: {...a, servers: [...a.servers, ...added]}}
}

function refuse(refusals: Refusal[], plan: Plan, r: Omit<Refusal, 'container' | 'containerId' | 'networkId'>): void {
  refusals.push({container: plan.container.name, containerId: plan.container.id, networkId: plan.networkId, ...r})
}

interface CacheEntry {
  sig: string | null
  plan: Plan
}

const PROTOCOLS = ['http', 'tcp', 'udp'] as const

/** The UDP entry point slot a name occupies: an entry point and its IPv6 twin are one slot. */
function udpSlot(entryPoint: string): string {
  return entryPoint.endsWith(IPV6_SUFFIX) ? entryPoint.slice(0, -IPV6_SUFFIX.length) : entryPoint
}

export class ConfigBuilder {
  /**
   * Plans by daemon and container id; replaced on every build by the containers that exist, so it never
   * outgrows them.
   */
  private cache = new Map<number, Map<string, CacheEntry>>()
  /** Label keys parsed once for every container of this builder. */
  private readonly keys = new LabelKeyCache()
  private settings: PlanSettings

  constructor(
    settings: PlanSettings,
    private readonly ports: PortAllocator,
  ) {
    this.settings = settings
  }

  get cachedPlans(): number {
    let n = 0
    for (const d of this.cache.values()) n += d.size
    return n
  }

  /** New settings (entry points changed): every container is planned again on the next build. */
  setSettings(settings: PlanSettings): void {
    this.settings = settings
    this.cache = new Map()
  }

  build(daemons: DaemonContainers[]): BuildResult {
    const plans: Plan[] = []
    const next = new Map<number, Map<string, CacheEntry>>()
    for (const d of daemons) {
      const previous = this.cache.get(d.networkId)
      const current = new Map<string, CacheEntry>()
      next.set(d.networkId, current)
      for (const c of d.containers) {
        let entry = previous?.get(c.id)
        // The daemon hands over the same object while a container is unchanged: no need to compare labels.
        // A signature is only computed when a different object arrives for a known container.
        if (entry === undefined) {
          entry = {sig: null, plan: planContainer(c, d.networkId, this.settings, this.keys)}
        } else if (entry.plan.container !== c) {
          entry.sig ??= signature(entry.plan.container, d.networkId)
          const sig = signature(c, d.networkId)
          entry = sig === entry.sig ? {sig, plan: {...entry.plan, container: c}} : {sig, plan: planContainer(c, d.networkId, this.settings, this.keys)}
        }

        current.set(c.id, entry)
        plans.push(entry.plan)
      }
    }

    this.cache = next
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
    /** UDP entry point slot → router on it. */
    const udpEntrypoints = new Map<string, string>()
    this.ports.beginBuild()

    for (const plan of plans) {
      const c = plan.container
      for (const r of plan.refusals) refusals.push(r)
      if (plan.skipped !== null) skipped.push({container: c.name, containerId: c.id, networkId: plan.networkId, reason: plan.skipped})
      for (const note of plan.notes) skipped.push({container: c.name, containerId: c.id, networkId: plan.networkId, reason: note})

      for (const proto of PROTOCOLS) {
        const services = plan.services[proto]
        const target = groups[proto].services
        for (const name in services) {
          const svc = services[name]
          const existing = target[name]
          // The plan's own object is served as is (plans are cached and never changed); a merge makes a copy.
          if (existing === undefined) target[name] = svc
          else {
            const merged = mergeService(existing, svc)
            if (merged === null) refuse(refusals, plan, {object: name, kind: 'name-conflict', reason: `service ${name} is defined differently by another container of this repository`})
            else target[name] = merged
          }
        }
      }

      for (const proto of ['http', 'tcp'] as const) {
        const middlewares = plan.middlewares[proto]
        const target = groups[proto].middlewares
        for (const name in middlewares) {
          const m = middlewares[name]
          const existing = target[name]
          if (existing === undefined) target[name] = m
          else if (!sameJson(existing, m)) refuse(refusals, plan, {object: name, kind: 'name-conflict', reason: `middleware ${name} is defined differently by another container of this repository`})
        }
      }

      for (const pr of plan.routers) this.placeRouter(pr, plan, groups, claims, udpEntrypoints, refusals, routes)
    }

    this.ports.endBuild()
    const config: BuildResult['config'] = {}
    const sizes: Record<string, number> = {}
    for (const proto of PROTOCOLS) {
      const group: Obj = groups[proto]
      const cleaned: Obj = {}
      for (const kind in group) {
        const names = Object.keys(group[kind])
        sizes[`${proto}.${kind}`] = names.length
        if (names.length > 0) cleaned[kind] = sortedCopy(group[kind], names)
      }

      if (!isEmpty(cleaned)) config[proto] = cleaned
    }

    for (const route of routes) {
      const servers = groups[route.protocol].services[route.service]?.loadBalancer.servers ?? []
      route.backends = servers.map((s: Obj) => s.url ?? s.address)
    }

    routes.sort((a, b) => (a.router < b.router ? -1 : a.router > b.router ? 1 : 0))
    return {
      config,
      routes,
      refusals,
      skipped,
      counts: {
        routers: {http: sizes['http.routers'], tcp: sizes['tcp.routers'], udp: sizes['udp.routers']},
        services: {http: sizes['http.services'], tcp: sizes['tcp.services'], udp: sizes['udp.services']},
        middlewares: sizes['http.middlewares'] + sizes['tcp.middlewares'],
      },
    }
  }

  private placeRouter(
    pr: PlannedRouter,
    plan: Plan,
    groups: Record<'http' | 'tcp' | 'udp', Obj>,
    claims: Map<string, number>,
    udpEntrypoints: Map<string, string>,
    refusals: Refusal[],
    routes: RouteEntry[],
  ): void {
    const nid = plan.networkId
    // Served as the plan has it, unless a dynamic port is added (plans are cached and never changed).
    let router: Obj = pr.router
    if (pr.needsPort) {
      const port = this.ports.claim(pr.protocol as 'tcp' | 'udp', nid, pr.labelName)
      if (port === null) {
        refuse(refusals, plan, {
          object: pr.labelName,
          kind: 'ports-exhausted',
          reason: `${pr.protocol} router ${pr.labelName} names no entry point and the dynamic ${pr.protocol.toUpperCase()} range is ${pr.protocol === 'udp' ? 'full or not configured' : 'full'}`,
        })
        return
      }

      router = {...pr.router, entryPoints: withIPv6Twins([`${pr.protocol}-${port}`], entrypointSet(this.settings))}
    }

    const entryPoints = router.entryPoints as string[]
    const keys: string[] = []
    for (const h of pr.hosts) {
      if (h === '*') for (const ep of entryPoints) keys.push(`*@${ep}`)
      else keys.push(h)
    }

    let taken: string | undefined
    for (const k of keys) {
      const holder = claims.get(k)
      if (holder !== undefined && holder !== nid) {
        taken = k
        break
      }
    }

    if (taken !== undefined) {
      const what = taken.startsWith('*@') ? `the catch-all HostSNI(\`*\`) on ${taken.slice(2)}` : taken
      refuse(refusals, plan, {object: pr.labelName, kind: 'foreign-hostname', reason: `router ${pr.labelName}: ${what} is already routed by repository ${claims.get(taken)}`})
      return
    }

    if (pr.protocol === 'udp') {
      // A UDP entry point and its IPv6 twin count as one: one router answers on both families or neither.
      const ep = entryPoints.find((e) => udpEntrypoints.has(udpSlot(e)))
      if (ep !== undefined) {
        const owner = udpEntrypoints.get(udpSlot(ep))
        refuse(refusals, plan, {object: pr.labelName, kind: 'udp-entrypoint-taken', reason: `router ${pr.labelName}: UDP entry point ${ep} already carries router ${owner}; Traefik uses one UDP router per entry point`})
        return
      }
    }

    const existing = groups[pr.protocol].routers[pr.name]
    if (existing !== undefined) {
      if (!sameJson(existing, router)) refuse(refusals, plan, {object: pr.labelName, kind: 'name-conflict', reason: `router ${pr.labelName} is defined differently by another container of this repository`})
      return
    }

    for (const k of keys) claims.set(k, nid)
    if (pr.protocol === 'udp') for (const ep of entryPoints) udpEntrypoints.set(udpSlot(ep), pr.name)
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
      containerId: plan.container.id,
      source: plan.source,
    })
  }
}
