import {type EntryPoint, ROUTER_PORT, TRAEFIK_INTERNAL_PORT} from '../net/entrypoints.js'

export interface Listener {
  proto: 'tcp' | 'udp'
  /** Address without port: `0.0.0.0`, `*`, `::`, `127.0.0.53`, `2001:db8::1` (brackets and %iface dropped). */
  address: string
  port: number
  /** Process name from `users:(("name",…))`, when ss could see it. */
  process?: string
  pid?: number
}

export interface PortNeed {
  proto: 'tcp' | 'udp'
  port: number
  /** Address we bind: '' for all addresses, else the specific one. */
  address: string
  /** What needs it (entry point or service name). */
  by: string
  /** Process names that are our own previous instance of that service. */
  ours: readonly string[]
}

export interface PortConflict {
  proto: 'tcp' | 'udp'
  port: number
  by: string
  /** Who holds it: `systemd-resolved (pid 412) on 127.0.0.53`. */
  holder: string
  process?: string
}

const LINE = /^(tcp|udp)\s+\S+\s+\d+\s+\d+\s+(\S+):(\d+)\s+\S+(?:\s+(.*))?$/

/** Parses `ss -Hltnup` (no header; TCP listeners and bound UDP sockets, numeric, with processes). */
export function parseListeners(output: string): Listener[] {
  const result: Listener[] = []
  for (const raw of output.split('\n')) {
    const m = LINE.exec(raw.trim())
    if (!m) continue
    const address = m[2]!.replace(/^\[/, '').replace(/\]$/, '').replace(/%.*$/, '')
    const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(m[4] ?? '')
    result.push({
      proto: m[1] as 'tcp' | 'udp',
      address,
      port: Number(m[3]),
      ...(users ? {process: users[1], pid: Number(users[2])} : {}),
    })
  }

  return result
}

const WILDCARDS = new Set(['', '*', '0.0.0.0', '::'])

/** Linux refuses a bind when either side is a wildcard or both name the same address. */
function overlaps(need: string, held: string): boolean {
  return WILDCARDS.has(need) || WILDCARDS.has(held) || need === held
}

function bindAddress(ep: EntryPoint): string {
  const host = ep.address.replace(/\/udp$/, '').replace(/:\d+$/, '')
  return host.replace(/^\[/, '').replace(/\]$/, '')
}

/** Every port the proxy and the route server will bind. */
export function portNeeds(entryPoints: readonly EntryPoint[]): PortNeed[] {
  const proxy = ['traefik']
  return [
    ...entryPoints.map((ep) => ({proto: ep.kind === 'udp' ? ('udp' as const) : ('tcp' as const), port: ep.port, address: bindAddress(ep), by: ep.name, ours: proxy})),
    {proto: 'tcp', port: TRAEFIK_INTERNAL_PORT, address: '127.0.0.1', by: 'traefik (ping/API)', ours: proxy},
    // The route server is node running renet.cjs.
    {proto: 'tcp', port: ROUTER_PORT, address: '127.0.0.1', by: 'rediacc-router', ours: ['node', 'renet']},
  ]
}

/**
 * Ports held by something other than our own proxy or route server. A listener whose process ss could not see
 * (no root) counts as ours only while the proxy container runs, since then it is most likely Traefik.
 */
export function findPortConflicts(needs: readonly PortNeed[], listeners: readonly Listener[], proxyRunning: boolean): PortConflict[] {
  const conflicts: PortConflict[] = []
  const seen = new Set<string>()
  for (const need of needs) {
    for (const l of listeners) {
      if (l.proto !== need.proto || l.port !== need.port || !overlaps(need.address, l.address)) continue
      if (l.process ? need.ours.includes(l.process) : proxyRunning) continue
      const key = `${need.proto}/${need.port}/${l.process ?? '?'}/${l.pid ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      const who = l.process ? `${l.process}${l.pid ? ` (pid ${l.pid})` : ''}` : 'an unknown process'
      conflicts.push({proto: need.proto, port: need.port, by: need.by, holder: `${who} on ${l.address || '*'}`, ...(l.process ? {process: l.process} : {})})
    }
  }

  return conflicts
}
