/**
 * One container → its piece of the dynamic configuration (a "plan"), with Traefik's Docker-provider defaults
 * applied, backends pointed at the container's own service IP, and names made unique per repository. What
 * needs every container at once (hostname claims, dynamic ports, UDP entry points) is left to build.ts.
 */
import {withIPv6Twins, withoutAbsentFamilyTwins} from '../../net/entrypoints.js'
import {isValidNetworkId} from '../../net/network.js'
import {type AutoPort, autoRoutePort} from './auto-port.js'
import {LabelDecodeError, LabelKeyCache, decodeTraefikLabels, traefikEnabled} from './labels.js'
import {backendPort, backendScheme, forwardAuthProblem, healthCheckPathProblem, hostnameClaim, ownsIp, serverUrl, sharedEntrypointProblem} from './isolation.js'
import {HostSet, RuleSyntaxError, ruleHosts} from './rules.js'
import type {ContainerInfo, Refusal, RefusalReason} from './types.js'
import {schemaError} from './validate.js'

export interface PlanSettings {
  baseDomain: string | null
  entrypoints: string[]
  /** websecure / websecure-v6, whichever exist. */
  httpsEntrypoints: string[]
  certResolver: string
  /** This machine's own addresses and names (forwardAuth may not point at them); the route server fills them in. */
  localAddresses?: readonly string[]
  localNames?: readonly string[]
}

type Obj = Record<string, any>

export interface PlannedRouter {
  protocol: 'http' | 'tcp' | 'udp'
  /** Name served to Traefik. */
  name: string
  /** Name as written in the labels (or the automatic name). */
  labelName: string
  router: Obj
  /** Hostnames the rule can match (http/tcp); '*' for a TCP catch-all. */
  hosts: string[]
  /** TCP/UDP router without entry points: gets a dynamic port in build.ts. */
  needsPort: boolean
}

export interface Plan {
  container: ContainerInfo
  networkId: number
  source: 'auto' | 'labels'
  routers: PlannedRouter[]
  services: {http: Obj; tcp: Obj; udp: Obj}
  middlewares: {http: Obj; tcp: Obj}
  refusals: Refusal[]
  /** Set when the container gives nothing at all. */
  skipped: string | null
  /** Notes on routers Traefik would drop too (no rule, too many services), shown as skipped reasons. */
  notes: string[]
}

export function uniqueName(name: string, networkId: number): string {
  return `${name}-${networkId}`
}

/** Traefik's provider.Normalize: runs of non letters/digits become '-'. */
export function normalizeName(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter((s) => s.length > 0)
    .join('-')
}

/** Traefik's getServiceName: compose `service_project`, else the container name. */
function defaultName(c: ContainerInfo): string {
  const project = c.labels['com.docker.compose.project']
  const service = c.labels['com.docker.compose.service']
  return normalizeName(project !== undefined && service !== undefined ? `${service}_${project}` : c.name)
}

export {ownsIp} from './isolation.js'

/** A comma list of ports (`8080`, `80, 443`); anything that is not a port is left out. */
function portsLabel(value: string | undefined): number[] {
  if (value === undefined) return []
  const out: number[] = []
  let start = 0
  while (start <= value.length) {
    let end = value.indexOf(',', start)
    if (end < 0) end = value.length
    const text = value.slice(start, end).trim()
    const n = Number(text)
    if (text !== '' && Number.isInteger(n) && n > 0 && n < 65_536) out.push(n)
    start = end + 1
  }

  return out
}

const PLAIN_HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

function hostLabel(service: string): string {
  // Most service names are already a hostname label.
  if (PLAIN_HOST_LABEL.test(service)) return service
  return service
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** `-<networkId>.<baseDomain>` at the end of a hostname: an automatic hostname. One per settings object. */
const autoHostPatterns = new WeakMap<PlanSettings, RegExp | null>()

function autoHostPattern(s: PlanSettings): RegExp | null {
  let re = autoHostPatterns.get(s)
  if (re === undefined) {
    re = s.baseDomain === null ? null : new RegExp(`-(\\d+)\\.${s.baseDomain.replace(/\./g, '\\.')}$`, 'i')
    autoHostPatterns.set(s, re)
  }

  return re
}

/** The entry point names of a settings object as a set, made once per settings object. */
const entrypointSets = new WeakMap<PlanSettings, ReadonlySet<string>>()

export function entrypointSet(s: PlanSettings): ReadonlySet<string> {
  let set = entrypointSets.get(s)
  if (set === undefined) {
    set = new Set(s.entrypoints)
    entrypointSets.set(s, set)
  }

  return set
}

// Module functions rather than closures made per container: the build plans a thousand containers at once.
function refuse(plan: Plan, kind: RefusalReason, reason: string, object?: string): void {
  const c = plan.container
  plan.refusals.push({container: c.name, containerId: c.id, networkId: plan.networkId, kind, reason, ...(object === undefined ? {} : {object})})
}

function foreignRef(refs: unknown[]): string | undefined {
  return refs.find((x) => typeof x === 'string' && x.includes('@')) as string | undefined
}

class Refused extends Error {
  constructor(
    readonly kind: RefusalReason,
    message: string,
    readonly object?: string,
  ) {
    super(message)
  }
}

/** The skipped reason of a container with traefik.enable=false: not routed, on purpose. */
export const DISABLED = 'traefik.enable=false: not routed'

export function planContainer(c: ContainerInfo, networkId: number, settings: PlanSettings, keys = new LabelKeyCache()): Plan {
  const plan: Plan = {
    container: c,
    networkId,
    source: 'labels',
    routers: [],
    services: {http: {}, tcp: {}, udp: {}},
    middlewares: {http: {}, tcp: {}},
    refusals: [],
    skipped: null,
    notes: [],
  }

  let enabled: boolean
  try {
    enabled = traefikEnabled(c.labels)
  } catch (error) {
    plan.skipped = `labels cannot be decoded: ${(error as Error).message}`
    return plan
  }

  // As in Traefik, an explicit traefik.enable=false exposes nothing, not even the automatic route.
  if (!enabled && c.labels['traefik.enable'] !== undefined) {
    plan.skipped = DISABLED
    return plan
  }

  const service = c.labels['rediacc.service_name']
  const ip = c.labels['rediacc.service_ip']
  const labelNetwork = c.labels['rediacc.network_id']
  if (!enabled && service === undefined) {
    plan.skipped = 'no rediacc.* labels and no traefik.enable=true (not started by renet compose)'
    return plan
  }

  if (labelNetwork === undefined || Number(labelNetwork) !== networkId) {
    refuse(plan, 'network-mismatch', `rediacc.network_id is ${labelNetwork === undefined ? 'missing' : `'${labelNetwork}'`} but the container runs in the daemon of repository ${networkId}`)
    return plan
  }

  if (ip === undefined) {
    plan.skipped = 'no rediacc.service_ip label: start it with renet compose'
    return plan
  }

  if (!ownsIp(networkId, ip)) {
    refuse(plan, 'foreign-backend', `rediacc.service_ip ${ip} is outside repository ${networkId}'s addresses`)
    return plan
  }

  if (c.health === 'starting' || c.health === 'unhealthy') {
    plan.skipped = `health: ${c.health} (Traefik routes only healthy containers)`
    return plan
  }

  const tcpPorts = portsLabel(c.labels['rediacc.tcp_ports'])
  const servicePort = portsLabel(c.labels['rediacc.service_port'])[0] ?? tcpPorts[0]
  if (!enabled) autoPlan(plan, service!, ip, autoRoutePort(portsLabel(c.labels['rediacc.service_port'])[0], tcpPorts), settings)
  else labelPlan(plan, hostLabel(service ?? defaultName(c)), ip, servicePort, portsLabel(c.labels['rediacc.udp_ports'])[0], settings, keys)
  // Said out loud, so every container the route server saw is in /routes.json or /health (`repo up` counts on it).
  if (enabled && plan.skipped === null && plan.routers.length === 0 && plan.refusals.length === 0 && plan.notes.length === 0) {
    plan.notes.push('traefik.enable=true but the labels make no router')
  }

  // Automatic routes are made here from a fixed shape (tested against the schema); label routes are checked.
  if (plan.skipped === null && plan.source === 'labels') {
    const error = schemaError(fragment(plan))
    if (error !== null) {
      return {...plan, routers: [], services: {http: {}, tcp: {}, udp: {}}, middlewares: {http: {}, tcp: {}}, skipped: `labels make a configuration Traefik's schema rejects (${error})`}
    }
  }

  return plan
}

function autoPlan(plan: Plan, service: string, ip: string, auto: AutoPort, s: PlanSettings): void {
  const {port} = auto
  plan.source = 'auto'
  const label = hostLabel(service)
  if (s.baseDomain === null) {
    plan.skipped = 'automatic routes are off: no baseDomain in router.yaml'
    return
  }

  if (port === undefined) {
    plan.skipped = ('reason' in auto ? auto.reason : undefined) ?? 'no port for an automatic route: set rediacc.service_port or rediacc.tcp_ports'
    return
  }

  if (s.httpsEntrypoints.length === 0 || label === '') {
    plan.skipped = label === '' ? `service name '${service}' gives no hostname` : 'no websecure entry point exists for automatic routes'
    return
  }

  const name = uniqueName(label, plan.networkId)
  const host = `${name}.${s.baseDomain}`
  plan.services.http[name] = {loadBalancer: {servers: [{url: `http://${ip}:${port}`}]}}
  plan.routers.push({
    protocol: 'http',
    name,
    labelName: label,
    // One entry point list shared by every automatic router: plans and the served configuration are never changed.
    router: {rule: `Host(\`${host}\`)`, entryPoints: s.httpsEntrypoints, service: name, tls: {certResolver: s.certResolver}},
    hosts: [host],
    needsPort: false,
  })
}

const NAMED_KINDS = [
  ['routers', ['http', 'tcp', 'udp']],
  ['services', ['http', 'tcp', 'udp']],
  ['middlewares', ['http', 'tcp']],
] as const
const KIND_NAMES = {routers: 'router', services: 'service', middlewares: 'middleware'} as const

function hasAny(o: Obj | undefined): boolean {
  return o !== undefined && Object.keys(o).length > 0
}

function labelPlan(
  plan: Plan,
  autoLabel: string,
  ip: string,
  port: number | undefined,
  udpPort: number | undefined,
  s: PlanSettings,
  keys: LabelKeyCache,
): void {
  let conf
  try {
    conf = decodeTraefikLabels(plan.container.labels, keys)
  } catch (error) {
    if (!(error instanceof LabelDecodeError)) throw error
    plan.skipped = `labels cannot be decoded: ${error.message}`
    return
  }

  if (hasAny(conf.tls)) refuse(plan, 'global-tls', 'traefik.tls.* (TLS options, stores, certificates) applies to every repository; ignored')
  const name = defaultName(plan.container)
  // The decoder's objects are this call's own: changed in place.
  const http: {routers: Obj; services: Obj; middlewares: Obj} = {routers: conf.http?.routers ?? {}, services: conf.http?.services ?? {}, middlewares: conf.http?.middlewares ?? {}}
  const tcp: {routers: Obj; services: Obj; middlewares: Obj} = {routers: conf.tcp?.routers ?? {}, services: conf.tcp?.services ?? {}, middlewares: conf.tcp?.middlewares ?? {}}
  const udp: {routers: Obj; services: Obj; middlewares?: undefined} = {routers: conf.udp?.routers ?? {}, services: conf.udp?.services ?? {}}
  const nid = plan.networkId

  try {
    let tcpOrUdp = false
    if (hasAny(tcp.routers) || hasAny(tcp.services)) {
      tcpOrUdp = true
      if (!hasAny(tcp.services)) tcp.services = {[name]: {loadBalancer: {}}}
      for (const [sn, svc] of Object.entries(tcp.services)) tcp.services[sn] = streamService(sn, svc, ip, port)
      defaultServices(tcp.routers, tcp.services, plan, 'tcp', true)
    }

    if (hasAny(udp.routers) || hasAny(udp.services)) {
      tcpOrUdp = true
      if (!hasAny(udp.services)) udp.services = {[name]: {loadBalancer: {}}}
      for (const [sn, svc] of Object.entries(udp.services)) udp.services[sn] = streamService(sn, svc, ip, udpPort ?? port)
      defaultServices(udp.routers, udp.services, plan, 'udp', false)
    }

    if (!(tcpOrUdp && !hasAny(http.routers) && !hasAny(http.middlewares) && !hasAny(http.services))) {
      if (!hasAny(http.services)) http.services = {[name]: {loadBalancer: {}}}
      for (const [sn, svc] of Object.entries(http.services)) http.services[sn] = httpService(sn, svc, ip, port)
      if (!hasAny(http.routers)) {
        if (Object.keys(http.services).length > 1) plan.notes.push('no router: too many services to pick a default one')
        else http.routers = {[name]: {}}
      }

      for (const [rn, r] of Object.entries(http.routers)) {
        if (!r.rule) {
          if (s.baseDomain === null) {
            plan.notes.push(`router ${rn}: no rule, and no baseDomain for the automatic hostname`)
            delete http.routers[rn]
            continue
          }

          r.rule = `Host(\`${autoLabel}-${nid}.${s.baseDomain}\`)`
        }

        if (!r.entryPoints || r.entryPoints.length === 0) {
          r.entryPoints = [...s.httpsEntrypoints]
          r.tls ??= {certResolver: s.certResolver}
        }
      }

      defaultServices(http.routers, http.services, plan, 'http', false)
    }
  } catch (error) {
    if (!(error instanceof Refused)) throw error
    refuse(plan, error.kind, error.message, error.object)
    return
  }

  // '@' separates a name from its provider in Traefik: a name carrying one would pose as another provider's.
  for (const [kind, groups] of NAMED_KINDS) {
    for (const group of groups) {
      for (const bad in group === 'udp' ? (udp[kind] as Obj) : group === 'tcp' ? tcp[kind] : http[kind]) {
        if (!bad.includes('@')) continue
        refuse(plan, 'foreign-reference', `${KIND_NAMES[kind]} name ${bad} contains '@', which names another provider`, bad)
        return
      }
    }
  }

  // References: other providers are refused; names are made unique for the repository.
  const refusedMiddlewares = new Set<string>()
  for (const [mn, m] of Object.entries(http.middlewares)) {
    const refs = [...(m.chain?.middlewares ?? []), ...(m.errors?.service === undefined ? [] : [m.errors.service])]
    const bad = foreignRef(refs)
    if (bad !== undefined) {
      refuse(plan, 'foreign-reference', `middleware ${mn} refers to ${bad}, outside this repository`, mn)
      continue
    }

    if (m.forwardAuth !== undefined) {
      const problem = forwardAuthProblem(m.forwardAuth.address, nid, s)
      if (problem !== null) {
        refuse(plan, 'foreign-backend', `middleware ${mn}: ${problem}`, mn)
        refusedMiddlewares.add(mn)
        continue
      }
    }

    if (m.chain?.middlewares) m.chain.middlewares = m.chain.middlewares.map((n: string) => uniqueName(n, nid))
    if (m.errors?.service !== undefined) m.errors.service = uniqueName(m.errors.service, nid)
    plan.middlewares.http[uniqueName(mn, nid)] = m
  }

  for (const [mn, m] of Object.entries(tcp.middlewares)) plan.middlewares.tcp[uniqueName(mn, nid)] = m
  for (const [proto, group] of [['http', http], ['tcp', tcp], ['udp', udp]] as const) {
    for (const [sn, svc] of Object.entries(group.services)) {
      const transport = svc.loadBalancer?.serversTransport
      if (typeof transport === 'string' && transport.includes('@')) {
        refuse(plan, 'foreign-reference', `service ${sn} uses serversTransport ${transport}, outside this repository`, sn)
        continue
      }

      // Traefik 3.7's service middlewares: names of this repository, like a router's.
      const serviceMiddlewares: unknown = svc.middlewares
      if (Array.isArray(serviceMiddlewares)) {
        const foreign = foreignRef(serviceMiddlewares)
        const refused = serviceMiddlewares.find((x) => refusedMiddlewares.has(x))
        if (foreign !== undefined || refused !== undefined) {
          if (foreign !== undefined) refuse(plan, 'foreign-reference', `service ${sn} refers to ${foreign}, outside this repository`, sn)
          else refuse(plan, 'foreign-backend', `service ${sn} uses middleware ${refused}, which was refused`, sn)
          continue
        }

        plan.services[proto][uniqueName(sn, nid)] = {...svc, middlewares: serviceMiddlewares.map((n: string) => uniqueName(n, nid))}
        continue
      }

      plan.services[proto][uniqueName(sn, nid)] = svc
    }

    for (const [rn, r] of Object.entries(group.routers)) {
      const refusedMiddleware = proto === 'http' ? (r as Obj).middlewares?.find((x: string) => refusedMiddlewares.has(x)) : undefined
      if (refusedMiddleware !== undefined) {
        refuse(plan, 'foreign-backend', `router ${rn} uses middleware ${refusedMiddleware}, which was refused`, rn)
        continue
      }

      try {
        plan.routers.push(checkRouter(proto, rn, r as Obj, plan, s))
      } catch (error) {
        if (!(error instanceof Refused)) throw error
        refuse(plan, error.kind, error.message, rn)
      }
    }
  }
}

/** Sets a router's service when there is exactly one (Traefik's BuildRouterConfiguration); drops it otherwise. */
function defaultServices(routers: Obj, services: Obj, plan: Plan, proto: string, needsRule: boolean): void {
  for (const [rn, r] of Object.entries(routers)) {
    if (needsRule && !r.rule) {
      plan.notes.push(`${proto} router ${rn}: empty rule`)
      delete routers[rn]
      continue
    }

    if (!r.service) {
      const names = Object.keys(services)
      if (names.length > 1) {
        plan.notes.push(`${proto} router ${rn}: could not define the service name: too many services`)
        delete routers[rn]
        continue
      }

      r.service = names[0]
    }
  }
}

function serverPort(sn: string, lb: Obj | undefined, fallback: number | undefined): {server: Obj; port: string} {
  if (lb === undefined) throw new Refused('foreign-backend', `service ${sn} error: load-balancer is not defined`, sn)
  const server: Obj = {...(lb.servers?.[0] ?? {})}
  // Traefik decodes `server.url`, but a backend URL is whatever it names: the route server points every
  // backend at the container's own service IP itself, from server.port and server.scheme.
  if (server.url !== undefined) {
    throw new Refused('foreign-backend', `service ${sn}: loadbalancer.server.url is not accepted: the backend is always this container's own address; set loadbalancer.server.port (and .scheme) instead`, sn)
  }

  // An empty port (an unset variable in the compose file) falls back to the container's port, as in Traefik.
  const raw = server.port === undefined || server.port === '' ? (fallback === undefined ? '' : String(fallback)) : server.port
  if (raw === '') throw new Refused('foreign-backend', `service ${sn} error: port is missing (set loadbalancer.server.port or rediacc.tcp_ports)`, sn)
  // The port goes into the server's URL or address: anything but a port could name another host there.
  const port = backendPort(raw)
  if (!port.ok) throw new Refused('foreign-backend', `service ${sn}: ${port.reason}`, sn)
  delete server.port
  return {server, port: port.value}
}

function httpService(sn: string, svc: Obj, ip: string, fallback: number | undefined): Obj {
  const {server, port} = serverPort(sn, svc.loadBalancer, fallback)
  const scheme = backendScheme(server.scheme)
  if (!scheme.ok) throw new Refused('foreign-backend', `service ${sn}: ${scheme.reason}`, sn)
  delete server.scheme
  const url = serverUrl(scheme.value, ip, port)
  if (!url.ok) throw new Refused('foreign-backend', `service ${sn}: ${url.reason}`, sn)
  const health = healthCheckPathProblem(svc.loadBalancer.healthCheck?.path)
  if (health !== null) throw new Refused('foreign-backend', `service ${sn}: ${health}`, sn)
  return {...(svc.middlewares === undefined ? {} : {middlewares: svc.middlewares}), loadBalancer: {...svc.loadBalancer, servers: [{...server, url: url.value}]}}
}

function streamService(sn: string, svc: Obj, ip: string, fallback: number | undefined): Obj {
  const {server, port} = serverPort(sn, svc.loadBalancer, fallback)
  return {loadBalancer: {...svc.loadBalancer, servers: [{...server, address: `${ip}:${port}`}]}}
}

function checkRouter(protocol: 'http' | 'tcp' | 'udp', rn: string, r: Obj, plan: Plan, s: PlanSettings): PlannedRouter {
  const nid = plan.networkId
  const refs = [r.service, ...(r.middlewares ?? []), r.tls?.options].filter((x): x is string => typeof x === 'string')
  const bad = refs.find((x) => x.includes('@'))
  if (bad !== undefined) throw new Refused('foreign-reference', `router ${rn} refers to ${bad}, outside this repository`)
  const known = entrypointSet(s)
  const entryPoints: string[] = withoutAbsentFamilyTwins(r.entryPoints ?? [], known)
  for (const ep of entryPoints) {
    if (!known.has(ep)) throw new Refused('unknown-entrypoint', `router ${rn}: entry point '${ep}' does not exist on this machine`)
    const udp = ep.startsWith('udp-')
    if (udp !== (protocol === 'udp')) throw new Refused('unknown-entrypoint', `${protocol} router ${rn} cannot use ${udp ? 'UDP' : 'TCP'} entry point '${ep}'`)
  }

  let hosts: string[] = []
  if (protocol !== 'udp') {
    if (r.ruleSyntax !== undefined && r.ruleSyntax !== 'v2' && r.ruleSyntax !== 'v3') {
      throw new Refused('unrestricted-rule', `router ${rn}: ruleSyntax '${r.ruleSyntax}' is neither v2 nor v3`)
    }

    let set: HostSet
    try {
      set = ruleHosts(String(r.rule), protocol, r.ruleSyntax)
    } catch (error) {
      if (!(error instanceof RuleSyntaxError)) throw error
      throw new Refused('unrestricted-rule', `router ${rn}: rule cannot be read as Traefik reads it (${error.message})`)
    }

    if (protocol === 'http' && set.all) {
      throw new Refused('unrestricted-rule', `router ${rn}: the rule must be limited to Host(...) names, else it takes other repositories' hostnames`)
    }

    // Claimed as Traefik matches them, so another spelling of a name is the same name.
    const claimed = new Set<string>()
    for (const arg of set.all ? [] : set.hosts) {
      const claim = hostnameClaim(arg.value, arg.literal, arg.matcher)
      if (!claim.ok) throw new Refused('invalid-hostname', `router ${rn}: ${claim.reason}`)
      claimed.add(claim.value)
    }

    hosts = set.all ? ['*'] : [...claimed]
    const autoHost = autoHostPattern(s)
    for (const h of hosts) {
      const auto = autoHost === null ? null : autoHost.exec(h)
      if (auto && Number(auto[1]) !== nid && isValidNetworkId(Number(auto[1]))) {
        throw new Refused('foreign-hostname', `router ${rn}: ${h} is an automatic hostname of repository ${auto[1]}`)
      }
    }

    if (protocol === 'tcp') {
      const problem = sharedEntrypointProblem(rn, entryPoints, hosts, r.tls !== undefined && r.tls !== null)
      if (problem !== null) throw new Refused('shared-entrypoint', problem)
    }
  }

  const router: Obj = {...r}
  // `entrypoints=tcp-5432` as the guide writes it serves both address families on a dual-stack machine.
  if (entryPoints.length > 0) router.entryPoints = withIPv6Twins(entryPoints, known)
  router.service = uniqueName(r.service, nid)
  if (r.middlewares) router.middlewares = r.middlewares.map((m: string) => uniqueName(m, nid))
  return {protocol, name: uniqueName(rn, nid), labelName: rn, router, hosts, needsPort: protocol !== 'http' && entryPoints.length === 0}
}

/** The plan as a stand-alone dynamic configuration (for the schema check). */
export function fragment(plan: Plan): Obj {
  const out: Obj = {}
  for (const proto of ['http', 'tcp', 'udp'] as const) {
    const routers: Obj = {}
    for (const r of plan.routers) if (r.protocol === proto) routers[r.name] = r.needsPort ? {...r.router, entryPoints: [`${proto}-0`]} : r.router
    const group: Obj = {}
    if (hasAny(routers)) group.routers = routers
    if (hasAny(plan.services[proto])) group.services = plan.services[proto]
    if (proto !== 'udp' && hasAny(plan.middlewares[proto])) group.middlewares = plan.middlewares[proto]
    if (hasAny(group)) out[proto] = group
  }

  return out
}
