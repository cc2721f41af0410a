import {type EntryPoint, ROUTER_PORT, TRAEFIK_INTERNAL_PORT} from '../../net/entrypoints.js'

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

/** Wildcards that cover both families: `::` is dual-stack under Linux's default bindv6only=0, `*` is ss's any. */
const ANY = new Set(['', '*', '::'])

const isIPv6 = (address: string) => address.includes(':')

/**
 * Linux refuses a bind on a port another socket holds when both name the same address, or when either is a
 * wildcard of that family (`0.0.0.0` covers IPv4 only; `::` and `*` cover both). Entry points bind the machine's
 * specific public address, so systemd-resolved on 127.0.0.53:53 no longer stands in the way of udp-53.
 */
function overlaps(need: string, held: string): boolean {
  if (ANY.has(need) || ANY.has(held) || need === held) return true
  if (need === '0.0.0.0') return !isIPv6(held)
  if (held === '0.0.0.0') return !isIPv6(need)
  return false
}

function bindAddress(ep: EntryPoint): string {
  const host = ep.address.replace(/\/udp$/, '').replace(/:\d+$/, '')
  return host.replace(/^\[/, '').replace(/\]$/, '')
}

const PROXY_PROCESS = 'traefik'

/** Every port the proxy and the route server will bind. */
export function portNeeds(entryPoints: readonly EntryPoint[]): PortNeed[] {
  const proxy = [PROXY_PROCESS]
  return [
    ...entryPoints.map((ep) => ({proto: ep.kind === 'udp' ? ('udp' as const) : ('tcp' as const), port: ep.port, address: bindAddress(ep), by: ep.name, ours: proxy})),
    {proto: 'tcp', port: TRAEFIK_INTERNAL_PORT, address: '127.0.0.1', by: 'traefik (ping/API)', ours: proxy},
    // The route server is node running renet.cjs.
    {proto: 'tcp', port: ROUTER_PORT, address: '127.0.0.1', by: 'rediacc-router', ours: ['node', 'renet']},
  ]
}

/**
 * Ports held by something other than our own proxy or route server. A listener counts as the proxy's when its
 * process is named like it or runs inside the proxy container (`proxyPids`, found by PID namespace on the
 * server), so an image whose program has another name is still ours. A listener whose process ss could not see
 * (no root) counts as ours only while the proxy container runs, since then it is most likely Traefik.
 */
export function findPortConflicts(needs: readonly PortNeed[], listeners: readonly Listener[], proxyRunning: boolean, proxyPids: readonly number[] = []): PortConflict[] {
  const conflicts: PortConflict[] = []
  const seen = new Set<string>()
  for (const need of needs) {
    for (const l of listeners) {
      if (l.proto !== need.proto || l.port !== need.port || !overlaps(need.address, l.address)) continue
      if (l.pid !== undefined && proxyPids.includes(l.pid) && need.ours.includes(PROXY_PROCESS)) continue
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
