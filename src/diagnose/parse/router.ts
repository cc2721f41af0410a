/**
 * What diagnose reads from the route server's /health and /routes.json. Parsed tolerantly (either a list of
 * routers or a map keyed by name, `entryPoints` or `entrypoints`, …) because only these fields matter here and
 * a newer route server may add others; anything unreadable becomes an explicit parse error, never a guess.
 */

export type Protocol = 'http' | 'tcp' | 'udp'

export interface RouteEntry {
  protocol: Protocol
  name: string
  rule?: string
  /** Names from Host(`…`) / HostSNI(`…`) in the rule (HostSNI(`*`) excluded). */
  hosts: string[]
  entryPoints: string[]
  /** Backend URLs (http://127.0.11.2:8080) or addresses (127.0.11.2:5432). */
  backends: string[]
  repository?: string
  networkId?: number
  container?: string
  /** The compose service (rediacc.service_name), which names the `{SERVICE}_IP` variable. */
  service?: string
  tls: boolean
  certResolver?: string
  passthrough?: boolean
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
  container?: string
  repository?: string
  router?: string
  host?: string
}

export interface RouterHealth {
  status: string
  version?: string
  routers?: number
  services?: number
  autoRoutes?: boolean
  daemons: DaemonHealth[]
  refusals: Refusal[]
}

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const numOf = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

function pick(o: Obj, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return o[k]
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

function backendsOf(o: Obj): string[] {
  const direct = pick(o, 'backends', 'backend', 'servers', 'url', 'address')
  const list = Array.isArray(direct) ? direct : direct === undefined ? [] : [direct]
  const service = o.service
  if (isObj(service)) {
    const lb = pick(service, 'loadBalancer', 'loadbalancer')
    if (isObj(lb) && Array.isArray(lb.servers)) list.push(...lb.servers)
  }
  return list.flatMap((b) => (typeof b === 'string' ? [b] : isObj(b) ? strings(pick(b, 'url', 'address')) : []))
}

function entryOf(protocol: Protocol, name: string, o: Obj): RouteEntry {
  const rule = strOf(o.rule)
  const tlsRaw = o.tls
  const tls = isObj(tlsRaw) || tlsRaw === true || strOf(pick(o, 'certResolver', 'certresolver')) !== undefined
  const certResolver = strOf(pick(o, 'certResolver', 'certresolver')) ?? (isObj(tlsRaw) ? strOf(pick(tlsRaw, 'certResolver', 'certresolver')) : undefined)
  const passthrough = isObj(tlsRaw) && tlsRaw.passthrough === true ? true : undefined
  const serviceName = strOf(pick(o, 'serviceName', 'service_name')) ?? strOf(o.service)
  const networkId = numOf(pick(o, 'networkId', 'network_id'))
  const entry: RouteEntry = {
    protocol,
    name,
    hosts: [...new Set([...hostsOfRule(rule), ...strings(pick(o, 'hosts', 'host')).map((h) => h.toLowerCase())])],
    entryPoints: strings(pick(o, 'entryPoints', 'entrypoints')),
    backends: backendsOf(o),
    tls,
  }
  if (rule !== undefined) entry.rule = rule
  const repository = strOf(pick(o, 'repository', 'repo'))
  if (repository !== undefined) entry.repository = repository
  if (networkId !== undefined) entry.networkId = networkId
  const container = strOf(pick(o, 'container', 'containerName'))
  if (container !== undefined) entry.container = container
  if (serviceName !== undefined) entry.service = serviceName
  if (certResolver !== undefined) entry.certResolver = certResolver
  if (passthrough) entry.passthrough = passthrough
  return entry
}

function listOf(protocol: Protocol, section: unknown): RouteEntry[] {
  const routers = isObj(section) && section.routers !== undefined ? section.routers : section
  if (Array.isArray(routers)) {
    return routers.filter(isObj).map((o, i) => entryOf(protocol, strOf(pick(o, 'name', 'router')) ?? `${protocol}-${i}`, o))
  }
  if (isObj(routers)) return Object.entries(routers).filter((e): e is [string, Obj] => isObj(e[1])).map(([name, o]) => entryOf(protocol, name, o))
  return []
}

export class ParseError extends Error {}

export function parseRoutes(body: string): RouteEntry[] {
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    throw new ParseError('/routes.json is not JSON')
  }

  if (Array.isArray(doc)) {
    return doc.filter(isObj).flatMap((o, i) => {
      const p = strOf(pick(o, 'protocol', 'type', 'kind'))
      return p === 'http' || p === 'tcp' || p === 'udp' ? [entryOf(p, strOf(o.name) ?? `${p}-${i}`, o)] : []
    })
  }
  if (!isObj(doc)) throw new ParseError('/routes.json is not an object')
  const root = isObj(doc.routes) ? doc.routes : doc
  return (['http', 'tcp', 'udp'] as const).flatMap((p) => listOf(p, root[p]))
}

export function parseHealth(body: string): RouterHealth {
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    throw new ParseError('/health is not JSON')
  }

  if (!isObj(doc)) throw new ParseError('/health is not an object')
  const rawDaemons = doc.daemons
  const daemonList: Array<[string, Obj]> = Array.isArray(rawDaemons)
    ? rawDaemons.filter(isObj).map((d, i) => [strOf(pick(d, 'name', 'socket', 'networkId', 'id')) ?? String(numOf(pick(d, 'networkId', 'id')) ?? i), d])
    : isObj(rawDaemons)
      ? Object.entries(rawDaemons).filter((e): e is [string, Obj] => isObj(e[1]))
      : []
  const daemons = daemonList.map(([name, d]): DaemonHealth => {
    const error = strOf(pick(d, 'error', 'lastError'))
    const lastSync = strOf(pick(d, 'lastSync', 'last_sync'))
    const containers = numOf(pick(d, 'containers', 'containerCount'))
    return {
      name,
      stale: d.stale === true || strOf(d.status) === 'stale',
      ...(error === undefined ? {} : {error}),
      ...(lastSync === undefined ? {} : {lastSync}),
      ...(containers === undefined ? {} : {containers}),
    }
  })
  const refusals = (Array.isArray(doc.refusals) ? doc.refusals : Array.isArray(doc.refused) ? doc.refused : []).filter(isObj).map((r): Refusal => {
    const out: Refusal = {reason: strOf(pick(r, 'reason', 'error', 'message')) ?? 'no reason given'}
    for (const [key, names] of [
      ['container', ['container', 'containerName']],
      ['repository', ['repository', 'repo']],
      ['router', ['router', 'name']],
      ['host', ['host', 'hostname']],
    ] as const) {
      const v = strOf(pick(r, ...names))
      if (v !== undefined) out[key] = v
    }
    return out
  })
  const counts = (key: string): number | undefined => {
    const v = doc[key as keyof typeof doc]
    if (isObj(v)) return ['http', 'tcp', 'udp'].reduce((a, p) => a + (numOf(v[p]) ?? 0), 0)
    return numOf(v)
  }
  const health: RouterHealth = {status: strOf(doc.status) ?? 'unknown', daemons, refusals}
  const version = strOf(doc.version)
  if (version !== undefined) health.version = version
  const routers = counts('routers')
  if (routers !== undefined) health.routers = routers
  const services = counts('services')
  if (services !== undefined) health.services = services
  const auto = pick(doc, 'autoRoutes', 'auto_routes')
  if (typeof auto === 'boolean') health.autoRoutes = auto
  return health
}
