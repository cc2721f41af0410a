/**
 * The Traefik entry points a machine gets, computed once from its infra settings and used by show-infra, the
 * traefik.yml renderer, router.yaml and the route server. Names and ports follow the networking guide.
 */

export const HTTP_PORT = 80
export const HTTPS_PORT = 443
export const ROUTER_PORT = 7111
/** Traefik's own ping/API entry point, bound to loopback only. */
export const TRAEFIK_INTERNAL_PORT = 8082
/** That entry point's name in traefik.yml; no route may use it. */
export const INTERNAL_ENTRY_POINT = 'traefik'

export const PRECONFIGURED_TCP_PORTS = [3306, 5432, 6379, 27017, 11211, 5672, 9092] as const
export const PRECONFIGURED_UDP_PORTS = [53] as const
export const DYNAMIC_TCP_RANGE = {from: 10_000, to: 10_010} as const
/** Ports a user may not claim as extra TCP/UDP ports: they belong to the proxy or the route server. */
export const RESERVED_PORTS = [HTTP_PORT, HTTPS_PORT, ROUTER_PORT, TRAEFIK_INTERNAL_PORT] as const

export type EntryPointKind = 'http' | 'https' | 'tcp' | 'udp' | 'internal'

export interface EntryPoint {
  name: string
  kind: EntryPointKind
  /** Traefik `address` value, e.g. `203.0.113.50:80`, `[2001:db8::1]:443`, `203.0.113.50:53/udp`. */
  address: string
  port: number
  /** The address family this entry point listens on. */
  family: 'ipv4' | 'ipv6'
  /** Where the port comes from, for show-infra. */
  source: 'standard' | 'preconfigured' | 'dynamic' | 'user'
}

export interface EntryPointInput {
  publicIPv4?: string
  publicIPv6?: string
  tcpPorts?: readonly number[]
  udpPorts?: readonly number[]
}

/** Suffix of the IPv6 twin of an entry point when a machine has both families (`tcp-5432` → `tcp-5432-v6`). */
export const IPV6_SUFFIX = '-v6'

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

function hostPart(family: 'ipv4' | 'ipv6', infra: EntryPointInput): string {
  return family === 'ipv4' ? `${infra.publicIPv4}` : `[${infra.publicIPv6}]`
}

/**
 * Every entry point, in a stable order: web, websecure, TCP ports ascending, UDP ports ascending, each followed by
 * its IPv6 twin when the machine has both families.
 *
 * Every public entry point binds the machine's specific public address, never a wildcard: Go's `:443` and
 * `[::]:443` are one dual-stack socket (so an IPv4/IPv6 split needs specific addresses), and Linux refuses a
 * specific bind on a port whose wildcard is already listening. With `:5432` Traefik would take port 5432 on every
 * loopback address too, and the guide's own Postgres bound to `${POSTGRES_IP}:5432` could not start (nor a service
 * on `127.0.11.x:80` beside `:80`). With the IPv4 family the names are the guide's (`web`, `websecure`, `tcp-5432`,
 * `udp-53`); an IPv6-only machine binds those same names to its IPv6 address; a dual-stack machine adds the IPv6
 * twins `web-v6`, `websecure-v6`, `tcp-5432-v6`, `udp-53-v6`, which the route server attaches alongside.
 */
export function entryPointsFor(infra: EntryPointInput): EntryPoint[] {
  const families: Array<'ipv4' | 'ipv6'> = []
  if (infra.publicIPv4) families.push('ipv4')
  if (infra.publicIPv6) families.push('ipv6')
  const name = (base: string, family: 'ipv4' | 'ipv6') =>
    family === 'ipv6' && families.length === 2 ? `${base}${IPV6_SUFFIX}` : base

  const eps: EntryPoint[] = []
  const add = (base: string, kind: EntryPointKind, port: number, source: EntryPoint['source'], udp = false) => {
    for (const family of families) {
      const address = `${hostPart(family, infra)}:${port}${udp ? '/udp' : ''}`
      eps.push({name: name(base, family), kind, address, port, family, source})
    }
  }

  add('web', 'http', HTTP_PORT, 'standard')
  // websecure-v6 is the guide's documented name for IPv6 HTTPS, also on an IPv6-only machine.
  if (infra.publicIPv4) {
    eps.push({name: 'websecure', kind: 'https', address: `${infra.publicIPv4}:${HTTPS_PORT}`, port: HTTPS_PORT, family: 'ipv4', source: 'standard'})
  }

  if (infra.publicIPv6) {
    eps.push({name: 'websecure-v6', kind: 'https', address: `[${infra.publicIPv6}]:${HTTPS_PORT}`, port: HTTPS_PORT, family: 'ipv6', source: 'standard'})
  }

  const tcp = new Map<number, EntryPoint['source']>()
  for (const p of PRECONFIGURED_TCP_PORTS) tcp.set(p, 'preconfigured')
  for (const p of dynamicTcpPorts()) tcp.set(p, 'dynamic')
  for (const p of infra.tcpPorts ?? []) if (!tcp.has(p)) tcp.set(p, 'user')
  for (const [port, source] of [...tcp].sort((a, b) => a[0] - b[0])) add(tcpEntryPointName(port), 'tcp', port, source)

  const udp = new Map<number, EntryPoint['source']>()
  for (const p of PRECONFIGURED_UDP_PORTS) udp.set(p, 'preconfigured')
  for (const p of infra.udpPorts ?? []) if (!udp.has(p)) udp.set(p, 'user')
  for (const [port, source] of [...udp].sort((a, b) => a[0] - b[0])) add(udpEntryPointName(port), 'udp', port, source, true)

  return eps
}

/** The HTTPS entry points automatic routes use (websecure and/or websecure-v6). */
export function httpsEntryPointNames(infra: EntryPointInput): string[] {
  return entryPointsFor(infra)
    .filter((e) => e.kind === 'https')
    .map((e) => e.name)
}

/**
 * The entry points a router really gets: each named one plus its IPv6 twin when that exists, so a label written
 * as the guide writes it (`entrypoints=tcp-5432`) serves both families on a dual-stack machine.
 */
export function withIPv6Twins(names: readonly string[], existing: ReadonlySet<string>): string[] {
  const out: string[] = []
  for (const n of names) {
    if (!out.includes(n)) out.push(n)
    const twin = `${n}${IPV6_SUFFIX}`
    if (!n.endsWith(IPV6_SUFFIX) && n !== 'websecure' && existing.has(twin) && !out.includes(twin)) out.push(twin)
  }

  return out
}

/**
 * The guide has labels name both HTTPS families (`entrypoints=websecure,websecure-v6`), and a machine may have
 * only one. A name whose other-family twin is named too and exists is dropped when it doesn't exist itself, so
 * those labels work on IPv4-only and IPv6-only machines alike; any other unknown name is kept (and refused).
 */
export function withoutAbsentFamilyTwins(names: readonly string[], existing: ReadonlySet<string>): string[] {
  const twinOf = (n: string) => (n.endsWith(IPV6_SUFFIX) ? n.slice(0, -IPV6_SUFFIX.length) : `${n}${IPV6_SUFFIX}`)
  return names.filter((n) => existing.has(n) || !(names.includes(twinOf(n)) && existing.has(twinOf(n))))
}
