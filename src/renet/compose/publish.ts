/**
 * Ports of a service that keeps compose's networks (no `network_mode: host`): each port it declares is published
 * on its own service IP only (`127.0.11.2:80:80`), where Traefik reaches it, never on every address of the
 * server (the proxy holds 80 and 443 there, and a database must not be public). A port the file publishes on
 * 127.0.0.1 stays there (private to the server); one published on every address (or on a public one) is
 * rewritten to the service IP, with a note.
 */
import {isPlainObject, type ServiceSpec} from './compose-file.js'
import type {DeclaredPorts} from './ports.js'
import {interpolate} from './ports.js'

type Env = Record<string, string | undefined>

export interface Published {
  /** The override's `ports:` entries. */
  ports: string[]
  /** Ports reachable at the service IP, for the rediacc.tcp_ports / rediacc.udp_ports labels. */
  declared: DeclaredPorts
  notes: string[]
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])
const MAX_RANGE = 100

interface Entry {
  hostIp: string | null
  published: string | null
  target: string
  protocol: string
}

/** `[ip:][published:]target[/protocol]`, with `[v6]:` host addresses. */
function parseShort(text: string): Entry | null {
  const [mapping, protocol = 'tcp'] = text.split('/')
  let rest = mapping
  let hostIp: string | null = null
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest)
  if (v6 !== null) {
    hostIp = v6[1]
    rest = v6[2]
  }

  const parts = rest.split(':')
  if (hostIp === null && parts.length === 3) hostIp = parts.shift() as string
  if (parts.length > 2) return null
  const target = parts.at(-1) as string
  const published = parts.length === 2 ? parts[0] : null
  return /^\d+(-\d+)?$/.test(target) ? {hostIp, published, target, protocol: protocol.toLowerCase()} : null
}

function parseEntry(entry: unknown, env: Env): Entry | null {
  if (typeof entry === 'number') return {hostIp: null, published: null, target: String(entry), protocol: 'tcp'}
  if (typeof entry === 'string') return parseShort(interpolate(entry, env))
  if (isPlainObject(entry) && entry.target !== undefined) {
    const str = (v: unknown) => (v === undefined || v === null ? null : interpolate(String(v), env))
    return {hostIp: str(entry.host_ip), published: str(entry.published), target: String(str(entry.target)), protocol: (str(entry.protocol) ?? 'tcp').toLowerCase()}
  }

  return null
}

function ports(range: string): number[] {
  const [first, last = first] = range.split('-').map(Number)
  if (!(first >= 1 && last <= 65_535 && last >= first && last - first < MAX_RANGE)) return []
  return Array.from({length: last - first + 1}, (_, i) => first + i)
}

export function publishOnServiceIp(service: string, spec: ServiceSpec, ip: string, env: Env = {}): Published {
  const out: string[] = []
  const notes: string[] = []
  const tcp = new Set<number>()
  const udp = new Set<number>()
  const add = (target: string, protocol: string) => {
    const entry = `${ip}:${target}:${target}${protocol === 'tcp' ? '' : `/${protocol}`}`
    if (!out.includes(entry)) out.push(entry)
    for (const port of ports(target)) (protocol === 'udp' ? udp : tcp).add(port)
  }

  for (const raw of Array.isArray(spec.ports) ? spec.ports : []) {
    const entry = parseEntry(raw, env)
    const shown = typeof raw === 'object' ? JSON.stringify(raw) : String(raw)
    if (entry === null) {
      notes.push(`service '${service}': ports: ${shown} could not be read and is not published`)
      continue
    }

    if (entry.hostIp !== null && LOOPBACK.has(entry.hostIp)) {
      // Private to the server, as the file says: kept as written, not routed.
      const kept = `${entry.hostIp.includes(':') ? `[${entry.hostIp}]` : entry.hostIp}:${entry.published ?? entry.target}:${entry.target}${entry.protocol === 'tcp' ? '' : `/${entry.protocol}`}`
      if (!out.includes(kept)) out.push(kept)
      continue
    }

    add(entry.target, entry.protocol)
    if (entry.hostIp !== ip) {
      notes.push(`service '${service}': ports: ${shown} is published on ${ip}:${entry.target} (its service IP) instead of every address; Traefik reaches it there`)
    }
  }

  for (const raw of Array.isArray(spec.expose) ? spec.expose : []) {
    const entry = parseShort(interpolate(String(raw), env))
    if (entry !== null && entry.published === null && entry.hostIp === null) add(entry.target, entry.protocol)
  }

  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b)
  return {ports: out, declared: {tcp: sorted(tcp), udp: sorted(udp)}, notes}
}
