/**
 * What diagnose reads from the route server's /health and /routes.json (their contract is
 * src/renet/router/types.ts: HealthReport, RoutesReport; fields are only ever added). Parsed field by field so a
 * missing or mistyped field degrades to "unknown" rather than a crash; a body that is not the documented object
 * is a ParseError.
 */

export type Protocol = 'http' | 'tcp' | 'udp'

/** A route as a client of the route server sees it (diagnose, dns, `rdc routes`): /routes.json parsed field by field, with the rule's hosts and the compose service of its container. */
export interface RouteView {
  protocol: Protocol
  /** Router name as served to Traefik (`router` in /routes.json). */
  name: string
  /** Router name as written in the labels. */
  labelName?: string
  /** Traefik service name. */
  traefikService?: string
  /** `auto` (tier 1) or `labels` (tier 2). */
  source?: string
  rule?: string
  /** Names from Host(`…`) / HostSNI(`…`) in the rule (HostSNI(`*`) excluded). */
  hosts: string[]
  entryPoints: string[]
  /** Backend URLs (http://127.0.11.2:8080) or addresses (127.0.11.2:5432). */
  backends: string[]
  repository?: string
  networkId?: number
  container?: string
  /** The compose service (rediacc.service_name), which names the `{SERVICE}_IP` variable; from the container. */
  composeService?: string
}

export interface DaemonHealth {
  name: string
  stale: boolean
  error?: string
  lastSync?: string
  containers?: number
}

export interface Refusal {
  reason: string
  /** unknown-entrypoint, foreign-hostname, foreign-backend, ports-exhausted, … */
  kind?: string
  container?: string
  networkId?: number
  /** Router, service or middleware concerned. */
  object?: string
}

/** A container that gives no route, and why (no port for tier 1, undecodable labels, unhealthy, …). */
export interface Skipped {
  container: string
  networkId?: number
  reason: string
}

export interface RouterHealth {
  status: string
  version?: string
  routers?: number
  services?: number
  autoRoutes?: boolean
  /** The base domain the route server was set up with; null when it has none. */
  baseDomain?: string | null
  daemons: DaemonHealth[]
  refusals: Refusal[]
  skipped: Skipped[]
}

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const numOf = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

function pick(o: Obj, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k]
  return undefined
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean)
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []
}

/** Host(`a`, `b`) and HostSNI(`c`) names of a Traefik rule. */
export function hostsOfRule(rule: string | undefined): string[] {
  if (!rule) return []
  const hosts: string[] = []
  for (const m of rule.matchAll(/Host(?:SNI)?\(([^)]*)\)/g)) {
    for (const q of m[1]!.matchAll(/[`"']([^`"']+)[`"']/g)) if (q[1] !== '*') hosts.push(q[1]!.toLowerCase())
  }
  return [...new Set(hosts)]
}

function entryOf(o: Obj, i: number): RouteView | undefined {
  const protocol = strOf(o.protocol)
  if (protocol !== 'http' && protocol !== 'tcp' && protocol !== 'udp') return undefined
  const rule = strOf(o.rule)
  const entry: RouteView = {
    protocol,
    name: strOf(pick(o, 'router', 'name')) ?? `${protocol}-${i}`,
    hosts: hostsOfRule(rule),
    entryPoints: strings(o.entryPoints),
    backends: strings(o.backends),
  }
  const optional: Array<[keyof RouteView, unknown]> = [
    ['rule', rule],
    ['labelName', strOf(o.labelName)],
    ['traefikService', strOf(o.service)],
    ['source', strOf(o.source)],
    ['networkId', numOf(o.networkId)],
    ['container', strOf(o.container)],
  ]
  for (const [key, value] of optional) if (value !== undefined) (entry as unknown as Obj)[key] = value
  return entry
}

export class ParseError extends Error {}

function json(body: string, what: string): Obj {
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    throw new ParseError(`${what} is not JSON`)
  }
  if (!isObj(doc)) throw new ParseError(`${what} is not an object`)
  return doc
}

/** GET /routes.json → {routes: [...]} */
export function parseRoutes(body: string): RouteView[] {
  const doc = json(body, '/routes.json')
  if (!Array.isArray(doc.routes)) throw new ParseError('/routes.json has no routes list')
  return doc.routes.filter(isObj).flatMap((o, i) => entryOf(o, i) ?? [])
}

function sum(v: unknown): number | undefined {
  if (isObj(v)) return ['http', 'tcp', 'udp'].reduce((a, p) => a + (numOf(v[p]) ?? 0), 0)
  return numOf(v)
}

/** GET /health → HealthReport */
export function parseHealth(body: string): RouterHealth {
  const doc = json(body, '/health')
  const daemons = (Array.isArray(doc.daemons) ? doc.daemons : []).filter(isObj).map((d, i): DaemonHealth => {
    const id = numOf(d.networkId)
    const out: DaemonHealth = {name: id === undefined ? (strOf(d.socket) ?? `daemon-${i}`) : `docker-${id}`, stale: d.stale === true}
    const error = strOf(d.error)
    if (error !== undefined) out.error = error
    const lastSync = strOf(d.lastSync)
    if (lastSync !== undefined) out.lastSync = lastSync
    const containers = numOf(d.containers)
    if (containers !== undefined) out.containers = containers
    return out
  })
  const refusals = (Array.isArray(doc.refusals) ? doc.refusals : []).filter(isObj).map((r): Refusal => {
    const out: Refusal = {reason: strOf(r.reason) ?? 'no reason given'}
    const kind = strOf(r.kind)
    if (kind !== undefined) out.kind = kind
    const container = strOf(r.container)
    if (container !== undefined) out.container = container
    const networkId = numOf(r.networkId)
    if (networkId !== undefined) out.networkId = networkId
    const object = strOf(r.object)
    if (object !== undefined) out.object = object
    return out
  })
  const skipped = (Array.isArray(doc.skipped) ? doc.skipped : []).filter(isObj).map((r): Skipped => {
    const networkId = numOf(r.networkId)
    return {container: strOf(r.container) ?? '?', reason: strOf(r.reason) ?? 'no reason given', ...(networkId === undefined ? {} : {networkId})}
  })
  const health: RouterHealth = {status: strOf(doc.status) ?? 'unknown', daemons, refusals, skipped}
  const version = strOf(doc.version)
  if (version !== undefined) health.version = version
  const counts = isObj(doc.counts) ? doc.counts : {}
  const routers = sum(counts.routers)
  if (routers !== undefined) health.routers = routers
  const services = sum(counts.services)
  if (services !== undefined) health.services = services
  if (typeof doc.autoRoutes === 'boolean') health.autoRoutes = doc.autoRoutes
  if (typeof doc.baseDomain === 'string' || doc.baseDomain === null) health.baseDomain = doc.baseDomain
  return health
}
