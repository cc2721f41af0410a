/**
 * What Traefik's Docker provider fills in once a container's labels are decoded, in its order
 * (pkg/provider/docker/config.go buildConfiguration): TCP services then routers, UDP services then routers, and
 * HTTP services then routers unless the container has only TCP/UDP configuration. Each services step gives a
 * container without services one named after it; each routers step gives a container without routers a default
 * one (HTTP only) with the default rule, and every router the service when there is exactly one
 * (pkg/provider/configuration.go Build{,TCP,UDP}RouterConfiguration).
 *
 * Two things differ on purpose: the servers are always the container's own service IP (ownHttpService,
 * ownStreamService in label-isolation.ts, which also refuse what would name another host), and an HTTP router
 * without entry points gets the HTTPS ones, because Traefik would attach it to every entry point, TCP ones
 * included. The isolation checks of what comes out are label-isolation.ts's.
 */
import {ownHttpService, ownStreamService} from './label-isolation.js'
import type {DecodedLabels} from './labels.js'
import {hasAny, type Obj, type PlanSettings} from './plan-model.js'

/** One protocol's decoded routers, services and middlewares (UDP has no middlewares). */
export interface LabelGroup {
  routers: Obj
  services: Obj
  middlewares: Obj
}

export interface LabelGroups {
  http: LabelGroup
  tcp: LabelGroup
  udp: {routers: Obj; services: Obj; middlewares?: undefined}
}

/** The decoder's objects, grouped by protocol. They are this call's own: the steps below change them in place. */
export function labelGroups(conf: DecodedLabels): LabelGroups {
  return {
    http: {routers: conf.http?.routers ?? {}, services: conf.http?.services ?? {}, middlewares: conf.http?.middlewares ?? {}},
    tcp: {routers: conf.tcp?.routers ?? {}, services: conf.tcp?.services ?? {}, middlewares: conf.tcp?.middlewares ?? {}},
    udp: {routers: conf.udp?.routers ?? {}, services: conf.udp?.services ?? {}},
  }
}

/** The container as Traefik's defaults see it. */
export interface ContainerDefaults {
  /** Traefik's getServiceName: the name of a default service or router. */
  name: string
  /** The container's own service IP. */
  ip: string
  /** The container's port (rediacc.service_port, else its first TCP port), for servers without one. */
  port: number | undefined
  /** rediacc.udp_ports' first port, for UDP servers (else `port`). */
  udpPort: number | undefined
  /** The host of the default rule (`<service>-<networkId>.<baseDomain>`), null without a base domain. */
  defaultHost: string | null
}

/**
 * Fills in Traefik's defaults in place; routers Traefik would drop (no rule, no service to pick) are dropped with a
 * note. Throws Refused (from the server steps) when a service's backend is not the container's own.
 */
export function applyLabelDefaults(groups: LabelGroups, c: ContainerDefaults, s: PlanSettings, notes: string[]): void {
  const {http, tcp, udp} = groups
  let tcpOrUdp = false
  if (hasAny(tcp.routers) || hasAny(tcp.services)) {
    tcpOrUdp = true
    tcp.services = streamServices(tcp.services, c.name, c.ip, c.port)
    defaultServices(tcp.routers, tcp.services, notes, 'tcp', true)
  }

  if (hasAny(udp.routers) || hasAny(udp.services)) {
    tcpOrUdp = true
    udp.services = streamServices(udp.services, c.name, c.ip, c.udpPort ?? c.port)
    defaultServices(udp.routers, udp.services, notes, 'udp', false)
  }

  if (tcpOrUdp && !hasAny(http.routers) && !hasAny(http.middlewares) && !hasAny(http.services)) return
  http.services = httpServices(http.services, c)
  http.routers = httpRouters(http.routers, http.services, c, s, notes)
  defaultServices(http.routers, http.services, notes, 'http', false)
}

/** buildTCPServiceConfiguration / buildUDPServiceConfiguration: a default service, each with the container's server. */
function streamServices(services: Obj, name: string, ip: string, port: number | undefined): Obj {
  const out = hasAny(services) ? services : {[name]: {loadBalancer: {}}}
  for (const [sn, svc] of Object.entries(out)) out[sn] = ownStreamService(sn, svc, ip, port)
  return out
}

/** buildServiceConfiguration: a default service, each with the container's server. */
function httpServices(services: Obj, c: ContainerDefaults): Obj {
  const out = hasAny(services) ? services : {[c.name]: {loadBalancer: {}}}
  for (const [sn, svc] of Object.entries(out)) out[sn] = ownHttpService(sn, svc, c.ip, c.port)
  return out
}

/** BuildRouterConfiguration's first half: a default router when there is one service, the default rule, entry points. */
function httpRouters(routers: Obj, services: Obj, c: ContainerDefaults, s: PlanSettings, notes: string[]): Obj {
  let out = routers
  if (!hasAny(out)) {
    if (Object.keys(services).length > 1) notes.push('no router: too many services to pick a default one')
    else out = {[c.name]: {}}
  }

  for (const [rn, r] of Object.entries(out)) {
    if (!r.rule) {
      if (c.defaultHost === null) {
        notes.push(`router ${rn}: no rule, and no baseDomain for the automatic hostname`)
        delete out[rn]
        continue
      }

      r.rule = `Host(\`${c.defaultHost}\`)`
    }

    if (!r.entryPoints || r.entryPoints.length === 0) {
      r.entryPoints = [...s.httpsEntrypoints]
      r.tls ??= {certResolver: s.certResolver}
    }
  }

  return out
}

/** Sets a router's service when there is exactly one (Traefik's BuildRouterConfiguration); drops it otherwise. */
function defaultServices(routers: Obj, services: Obj, notes: string[], proto: string, needsRule: boolean): void {
  for (const [rn, r] of Object.entries(routers)) {
    if (needsRule && !r.rule) {
      notes.push(`${proto} router ${rn}: empty rule`)
      delete routers[rn]
      continue
    }

    if (!r.service) {
      const names = Object.keys(services)
      if (names.length > 1) {
        notes.push(`${proto} router ${rn}: could not define the service name: too many services`)
        delete routers[rn]
        continue
      }

      r.service = names[0]
    }
  }
}
