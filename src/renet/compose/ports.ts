/**
 * The TCP and UDP ports a service declares (`ports:` targets and `expose:`), for the rediacc.tcp_ports and
 * rediacc.udp_ports labels. With host networking the process listens on the container-side port, so that is
 * the one that counts; the published side of a mapping means nothing there.
 */
import {isPlainObject, type ServiceSpec} from './compose-file.js'

export interface DeclaredPorts {
  tcp: number[]
  udp: number[]
}

/** Ranges wider than this are not spelled out in a label (a service listening on them is not routable anyway). */
const MAX_RANGE = 100

type Env = Record<string, string | undefined>

/** Compose-style `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` substitution; unset variables become '' as in compose. */
export function interpolate(text: string, env: Env): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))/g, (_m, braced, op, fallback, bare, dollar) => {
    if (dollar !== undefined) return '$'
    const name = (braced ?? bare) as string
    const value = env[name]
    if (value !== undefined && !(op === ':-' && value === '')) return value
    return op === undefined ? '' : (fallback as string)
  })
}

function portRange(spec: string): number[] | null {
  const match = /^(\d+)(?:-(\d+))?$/.exec(spec.trim())
  if (match === null) return null
  const first = Number(match[1])
  const last = match[2] === undefined ? first : Number(match[2])
  if (first < 1 || last > 65_535 || last < first || last - first >= MAX_RANGE) return null
  return Array.from({length: last - first + 1}, (_, i) => first + i)
}

/** `"127.0.0.1:8080:80/udp"` → {udp: [80]}; null when it can't be read. */
function shortSyntax(entry: string, env: Env): {protocol: string; ports: number[]} | null {
  const text = interpolate(entry, env)
  const [mapping, protocol = 'tcp'] = text.split('/')
  const target = mapping.slice(mapping.lastIndexOf(':') + 1)
  const ports = portRange(target)
  return ports === null ? null : {protocol: protocol.toLowerCase(), ports}
}

function entryPorts(entry: unknown, env: Env): {protocol: string; ports: number[]} | null {
  if (typeof entry === 'number') return Number.isInteger(entry) ? {protocol: 'tcp', ports: portRange(String(entry)) ?? []} : null
  if (typeof entry === 'string') return shortSyntax(entry, env)
  if (isPlainObject(entry) && entry.target !== undefined) {
    const ports = portRange(typeof entry.target === 'string' ? interpolate(entry.target, env) : String(entry.target))
    const protocol = typeof entry.protocol === 'string' ? entry.protocol.toLowerCase() : 'tcp'
    return ports === null ? null : {protocol, ports}
  }

  return null
}

export function declaredPorts(service: ServiceSpec, env: Env = {}): DeclaredPorts {
  const tcp = new Set<number>()
  const udp = new Set<number>()
  const entries = [service.ports, service.expose].flatMap((list) => (Array.isArray(list) ? list : []))
  for (const entry of entries) {
    const found = entryPorts(entry, env)
    if (found === null) continue
    const into = found.protocol === 'udp' ? udp : found.protocol === 'tcp' ? tcp : null
    for (const port of found.ports) into?.add(port)
  }

  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b)
  return {tcp: sorted(tcp), udp: sorted(udp)}
}
