import {SOCKET_DIR} from '../../layout/server.js'
import {HTTPS_PORT} from '../../net/entrypoints.js'
import type {ProbeCheck, ProbeResult, ProbeSpec, TlsResult} from '../../renet/probe/types.js'
import {backendAddress} from '../checks/route.js'
import type {DnsAnswer, InfraView, RouteFacts} from '../facts.js'
import {parseContainer} from '../parse/docker.js'
import {ParseError, type RouteView} from '../parse/router.js'

/** UDP payloads that get an answer from a healthy service: STUN/TURN and DNS. Other UDP ports are not probed. */
export function udpPayload(port: number): 'stun' | 'dns' | undefined {
  if (port === 3478 || port === 5349 || port === 19_302) return 'stun'
  if (port === 53) return 'dns'
  return undefined
}

const routeKey = (r: RouteView): string => `${r.protocol}/${r.name}`
const containerKey = (r: RouteView): string | undefined =>
  r.container === undefined || r.networkId === undefined ? undefined : `container:${r.networkId}/${r.container}`

/** Addresses the HTTPS entry points bind, where the certificate for a name is read. */
export function httpsAddresses(infra: InfraView): string[] {
  return [infra.publicIPv4, infra.publicIPv6].filter((x): x is string => x !== undefined)
}

function servesTls(r: RouteView): boolean {
  return r.protocol === 'http' && r.entryPoints.some((e) => e === 'websecure' || e === 'websecure-v6')
}

export interface SecondRound {
  spec: ProbeSpec
  /** Names to resolve locally (route hostnames) and their wildcard siblings. */
  names: string[]
}

/**
 * The second round trip: Docker's /version of each repository daemon, a connect to every backend, the
 * certificate for each TLS name at each public address, and UDP where a payload gets an answer.
 */
export function secondRoundSpec(routes: RouteView[], infra: InfraView, daemonSockets: string[], daemonSocketDir = SOCKET_DIR, httpsPort = HTTPS_PORT): SecondRound {
  const checks: ProbeCheck[] = daemonSockets.map((socket) => ({id: `docker:${socket}`, kind: 'http', url: 'http://docker/version', socketPath: socket}))
  const names = new Set<string>()
  const inspected = new Set<string>()
  for (const r of routes) {
    for (const [i, b] of r.backends.entries()) {
      const addr = backendAddress(b)
      if (!addr) continue
      const id = `backend:${routeKey(r)}:${i}`
      if (r.protocol === 'udp') {
        const payload = udpPayload(addr.port)
        if (payload) checks.push({id, kind: 'udp', host: addr.ip, port: addr.port, payload})
      } else if (r.protocol === 'http' && b.startsWith('http://')) {
        // A GET tells a refused port (Traefik's 502) from an app that answers with its own error.
        checks.push({id, kind: 'http', url: b.endsWith('/') ? b : `${b}/`, maxBody: 0})
      } else {
        checks.push({id, kind: 'tcp', host: addr.ip, port: addr.port})
      }
    }
    // The container names the compose service (its {SERVICE}_IP variable), and a STUN/TURN relay's environment
    // holds the public address it cached at start.
    const inspect = containerKey(r)
    if (inspect !== undefined && !inspected.has(inspect)) {
      inspected.add(inspect)
      checks.push({id: inspect, kind: 'http', url: `http://docker/containers/${encodeURIComponent(r.container!)}/json`, socketPath: `${daemonSocketDir}/docker-${r.networkId}.sock`})
    }
    for (const h of r.hosts) names.add(h)
    const name = r.hosts[0]
    if (name !== undefined && servesTls(r)) {
      for (const address of httpsAddresses(infra)) checks.push({id: `tls:${routeKey(r)}@${address}`, kind: 'tls', host: address, port: httpsPort, servername: name})
    }
  }
  return {spec: {timeoutMs: 1500, checks}, names: [...names]}
}

/** Puts the second round's results and the DNS answers back together per route. */
export function routeFactsFrom(routes: RouteView[], results: ProbeResult[], dns: DnsAnswer[]): RouteFacts[] {
  const byId = new Map(results.map((r) => [r.id, r]))
  return routes.map((route) => {
    const key = routeKey(route)
    const backends = route.backends.flatMap((backend, i) => {
      const result = byId.get(`backend:${key}:${i}`)
      return result ? [{backend, result}] : []
    })
    const tls = results.filter((r): r is TlsResult => r.kind === 'tls' && r.id.startsWith(`tls:${key}@`))
      // checkTls shows the address after '@' in its subject.
      .map((r) => ({...r, id: `tls:${route.hosts[0] ?? ''}@${r.id.slice(`tls:${key}@`.length)}`}))
    const facts: RouteFacts = {route, backends, tls, dns: dns.filter((d) => route.hosts.includes(d.name))}
    const inspectKey = containerKey(route)
    const inspect = inspectKey === undefined ? undefined : byId.get(inspectKey)
    if (inspect?.kind === 'http' && inspect.outcome === 'ok' && inspect.status !== undefined) {
      try {
        facts.container = parseContainer(inspect.status, inspect.body ?? '')
      } catch (error) {
        if (!(error instanceof ParseError)) throw error
      }
    }
    return facts
  })
}
