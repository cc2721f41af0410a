/**
 * Repository isolation applied to one container's decoded labels, once Traefik's own defaults are in
 * (label-defaults.ts). This is our policy, not Traefik's: the value-level rules (hostname claims, backend URLs,
 * forwardAuth addresses, TCP on the shared entry points) are in isolation.ts, and this file applies them to the
 * routers, services and middlewares of a container. It refuses
 * - `traefik.tls.*` (`global-tls`): TLS options, stores and certificates apply to every repository;
 * - a name with '@' (`foreign-reference`): '@' separates a name from its provider, so it would pose as another's;
 * - a reference to another provider (`x@file`, `api@internal`) from a router (service, middlewares, tls.options),
 *   a middleware (chain, errors.service) or a service (serversTransport, middlewares) (`foreign-reference`);
 * - a forwardAuth address on this machine outside the repository, and whatever uses that middleware
 *   (`foreign-backend`);
 * - a backend other than the container's own service IP: `server.url`, a port or scheme that could name another
 *   host, a health-check path that is another address (`foreign-backend`);
 * - a rule not limited to Host names, a hostname that cannot be claimed, another repository's automatic hostname,
 *   a TCP router taking the shared HTTP entry points, an entry point that does not exist or is of the wrong kind.
 * What passes is added to the plan with its names made unique for the repository (`web` → `web-2816`), references
 * rewritten the same way.
 */
import {withIPv6Twins, withoutAbsentFamilyTwins} from '../../net/entrypoints.js'
import {isValidNetworkId} from '../../net/network.js'
import {backendPort, backendScheme, forwardAuthProblem, healthCheckPathProblem, hostnameClaim, serverUrl, sharedEntrypointProblem} from './isolation.js'
import type {LabelGroups} from './label-defaults.js'
import type {DecodedLabels} from './labels.js'
import {entrypointSet, hasAny, type Obj, type Plan, type PlannedRouter, type PlanSettings, refuse, Refused, uniqueName} from './plan-model.js'
import {HostSet, RuleSyntaxError, ruleHosts} from './rules.js'

/** traefik.tls.* is global in Traefik: refused, the rest of the labels still count. */
export function refuseGlobalTls(plan: Plan, conf: DecodedLabels): void {
  if (hasAny(conf.tls)) refuse(plan, 'global-tls', 'traefik.tls.* (TLS options, stores, certificates) applies to every repository; ignored')
}

// ---------------------------------------------------------------------------------------------------------------
// Backends: always the container's own service IP, whatever the labels say.

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

/** An HTTP service whose one server is `<scheme>://<ip>:<port>`; throws Refused. */
export function ownHttpService(sn: string, svc: Obj, ip: string, fallback: number | undefined): Obj {
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

/** A TCP/UDP service whose one server is `<ip>:<port>`; throws Refused. */
export function ownStreamService(sn: string, svc: Obj, ip: string, fallback: number | undefined): Obj {
  const {server, port} = serverPort(sn, svc.loadBalancer, fallback)
  return {loadBalancer: {...svc.loadBalancer, servers: [{...server, address: `${ip}:${port}`}]}}
}

// ---------------------------------------------------------------------------------------------------------------
// Names and references.

const NAMED_KINDS = [
  ['routers', ['http', 'tcp', 'udp']],
  ['services', ['http', 'tcp', 'udp']],
  ['middlewares', ['http', 'tcp']],
] as const
const KIND_NAMES = {routers: 'router', services: 'service', middlewares: 'middleware'} as const

function foreignRef(refs: unknown[]): string | undefined {
  return refs.find((x) => typeof x === 'string' && x.includes('@')) as string | undefined
}

/** The first router, service or middleware name carrying '@' (refuses the whole container), or null. */
function providerNameRefusal(groups: LabelGroups): Refused | null {
  for (const [kind, protocols] of NAMED_KINDS) {
    for (const proto of protocols) {
      for (const bad in proto === 'udp' ? (groups.udp[kind] as Obj) : groups[proto][kind]) {
        if (bad.includes('@')) return new Refused('foreign-reference', `${KIND_NAMES[kind]} name ${bad} contains '@', which names another provider`, bad)
      }
    }
  }

  return null
}

/**
 * Checks every router, service and middleware of the container and adds what passes to the plan under the
 * repository's names. A name with '@' refuses everything; otherwise each object is refused on its own.
 */
export function isolateLabels(plan: Plan, groups: LabelGroups, s: PlanSettings): void {
  const badName = providerNameRefusal(groups)
  if (badName !== null) {
    refuse(plan, badName.kind, badName.message, badName.object)
    return
  }

  const refusedMiddlewares = addHttpMiddlewares(plan, groups.http.middlewares, s)
  for (const [mn, m] of Object.entries(groups.tcp.middlewares)) plan.middlewares.tcp[uniqueName(mn, plan.networkId)] = m
  for (const proto of ['http', 'tcp', 'udp'] as const) {
    addServices(plan, proto, groups[proto].services, refusedMiddlewares)
    addRouters(plan, proto, groups[proto].routers, refusedMiddlewares, s)
  }
}

/** Adds the HTTP middlewares that refer only to this repository; returns those refused for their forwardAuth. */
function addHttpMiddlewares(plan: Plan, middlewares: Obj, s: PlanSettings): Set<string> {
  const nid = plan.networkId
  const refusedMiddlewares = new Set<string>()
  for (const [mn, m] of Object.entries(middlewares)) {
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

  return refusedMiddlewares
}

function addServices(plan: Plan, proto: 'http' | 'tcp' | 'udp', services: Obj, refusedMiddlewares: ReadonlySet<string>): void {
  const nid = plan.networkId
  for (const [sn, svc] of Object.entries(services)) {
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
}

function addRouters(plan: Plan, proto: 'http' | 'tcp' | 'udp', routers: Obj, refusedMiddlewares: ReadonlySet<string>, s: PlanSettings): void {
  for (const [rn, r] of Object.entries(routers)) {
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

// ---------------------------------------------------------------------------------------------------------------
// Routers.

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

/** The router as served: references to this repository only, entry points of this machine, hostnames it may hold. */
function checkRouter(protocol: 'http' | 'tcp' | 'udp', rn: string, r: Obj, plan: Plan, s: PlanSettings): PlannedRouter {
  const nid = plan.networkId
  const refs = [r.service, ...(r.middlewares ?? []), r.tls?.options].filter((x): x is string => typeof x === 'string')
  const bad = refs.find((x) => x.includes('@'))
  if (bad !== undefined) throw new Refused('foreign-reference', `router ${rn} refers to ${bad}, outside this repository`)
  const known = entrypointSet(s)
  const entryPoints = routerEntrypoints(protocol, rn, r, known)
  const hosts = protocol === 'udp' ? [] : routerHosts(protocol, rn, r, entryPoints, nid, s)
  const router: Obj = {...r}
  // `entrypoints=tcp-5432` as the guide writes it serves both address families on a dual-stack machine.
  if (entryPoints.length > 0) router.entryPoints = withIPv6Twins(entryPoints, known)
  router.service = uniqueName(r.service, nid)
  if (r.middlewares) router.middlewares = r.middlewares.map((m: string) => uniqueName(m, nid))
  return {protocol, name: uniqueName(rn, nid), labelName: rn, router, hosts, needsPort: protocol !== 'http' && entryPoints.length === 0}
}

/** The router's entry points, each one of this machine and of the router's kind (UDP or not). */
function routerEntrypoints(protocol: 'http' | 'tcp' | 'udp', rn: string, r: Obj, known: ReadonlySet<string>): string[] {
  const entryPoints: string[] = withoutAbsentFamilyTwins(r.entryPoints ?? [], known)
  for (const ep of entryPoints) {
    if (!known.has(ep)) throw new Refused('unknown-entrypoint', `router ${rn}: entry point '${ep}' does not exist on this machine`)
    const udp = ep.startsWith('udp-')
    if (udp !== (protocol === 'udp')) throw new Refused('unknown-entrypoint', `${protocol} router ${rn} cannot use ${udp ? 'UDP' : 'TCP'} entry point '${ep}'`)
  }

  return entryPoints
}

/** The hostnames an HTTP/TCP router's rule claims ('*' for a TCP catch-all), read as Traefik reads the rule. */
function routerHosts(protocol: 'http' | 'tcp', rn: string, r: Obj, entryPoints: readonly string[], nid: number, s: PlanSettings): string[] {
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

  const hosts = set.all ? ['*'] : [...claimed]
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

  return hosts
}
