/**
 * The Traefik entry points a machine gets, computed once from its infra settings and used by show-infra, the
 * traefik.yml renderer, router.yaml and the route server. Names and ports follow the networking guide.
 */

export const HTTP_PORT = 80
export const HTTPS_PORT = 443
export const ROUTER_PORT = 7111
/** Traefik's own ping/API entry point, bound to loopback only. */
export const TRAEFIK_INTERNAL_PORT = 8082

export const PRECONFIGURED_TCP_PORTS = [3306, 5432, 6379, 27017, 11211, 5672, 9092] as const
export const PRECONFIGURED_UDP_PORTS = [53] as const
export const DYNAMIC_TCP_RANGE = {from: 10_000, to: 10_010} as const
/** Ports a user may not claim as extra TCP/UDP ports: they belong to the proxy or the route server. */
export const RESERVED_PORTS = [HTTP_PORT, HTTPS_PORT, ROUTER_PORT, TRAEFIK_INTERNAL_PORT] as const

export type EntryPointKind = 'http' | 'https' | 'tcp' | 'udp' | 'internal'

export interface EntryPoint {
  name: string
  kind: EntryPointKind
  /** Traefik `address` value, e.g. `:80`, `203.0.113.50:443`, `[2001:db8::1]:443`, `:53/udp`. */
  address: string
  port: number
  /** Where the port comes from, for show-infra. */
  source: 'standard' | 'preconfigured' | 'dynamic' | 'user'
}

export interface EntryPointInput {
  publicIPv4?: string
  publicIPv6?: string
  tcpPorts?: readonly number[]
  udpPorts?: readonly number[]
}

export function tcpEntryPointName(port: number): string {
  return `tcp-${port}`
}

export function udpEntryPointName(port: number): string {
  return `udp-${port}`
}

export function dynamicTcpPorts(): number[] {
  const ports: number[] = []
  for (let p = DYNAMIC_TCP_RANGE.from; p <= DYNAMIC_TCP_RANGE.to; p++) ports.push(p)
  return ports
}

/**
 * Every entry point, in a stable order: web, websecure (IPv4), websecure-v6 (IPv6), TCP ports ascending, UDP
 * ports ascending. `:443` and `[::]:443` are one dual-stack socket in Go, so the HTTPS entry points bind the
 * specific public addresses and exist only for the configured families.
 */
export function entryPointsFor(infra: EntryPointInput): EntryPoint[] {
  const eps: EntryPoint[] = [{name: 'web', kind: 'http', address: `:${HTTP_PORT}`, port: HTTP_PORT, source: 'standard'}]
  if (infra.publicIPv4) {
    eps.push({name: 'websecure', kind: 'https', address: `${infra.publicIPv4}:${HTTPS_PORT}`, port: HTTPS_PORT, source: 'standard'})
  }
  if (infra.publicIPv6) {
    eps.push({name: 'websecure-v6', kind: 'https', address: `[${infra.publicIPv6}]:${HTTPS_PORT}`, port: HTTPS_PORT, source: 'standard'})
  }

  const tcp = new Map<number, EntryPoint['source']>()
  for (const p of PRECONFIGURED_TCP_PORTS) tcp.set(p, 'preconfigured')
  for (const p of dynamicTcpPorts()) tcp.set(p, 'dynamic')
  for (const p of infra.tcpPorts ?? []) if (!tcp.has(p)) tcp.set(p, 'user')
  for (const [port, source] of [...tcp].sort((a, b) => a[0] - b[0])) {
    eps.push({name: tcpEntryPointName(port), kind: 'tcp', address: `:${port}`, port, source})
  }

  const udp = new Map<number, EntryPoint['source']>()
  for (const p of PRECONFIGURED_UDP_PORTS) udp.set(p, 'preconfigured')
  for (const p of infra.udpPorts ?? []) if (!udp.has(p)) udp.set(p, 'user')
  for (const [port, source] of [...udp].sort((a, b) => a[0] - b[0])) {
    eps.push({name: udpEntryPointName(port), kind: 'udp', address: `:${port}/udp`, port, source})
  }

  return eps
}

/** The HTTPS entry points routes should use (websecure and/or websecure-v6). */
export function httpsEntryPointNames(infra: EntryPointInput): string[] {
  return entryPointsFor(infra)
    .filter((e) => e.kind === 'https')
    .map((e) => e.name)
}
