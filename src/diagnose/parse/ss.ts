import {isIP} from 'node:net'

/** One listening socket from `ss -Hltnup`: TCP LISTEN and UDP UNCONN lines. */
export interface ListeningSocket {
  proto: 'tcp' | 'udp'
  /**
   * Bound address without brackets or zone. Wildcards keep their family: '0.0.0.0' (every IPv4 address), '::' (every
   * IPv6 address: ss shows an IPv6 socket that also takes IPv4 as '*'), '*' (every address of both families).
   */
  address: string
  port: number
  /** Process names from the users:(…) column; empty when ss could not see them (not root). */
  processes: string[]
}

export const WILDCARDS = new Set(['*', '0.0.0.0', '::'])

function splitLocal(local: string): {address: string; port: number} | undefined {
  const idx = local.lastIndexOf(':')
  if (idx <= 0) return undefined
  const port = Number(local.slice(idx + 1))
  if (!Number.isInteger(port)) return undefined
  let address = local.slice(0, idx).replace(/^\[|\]$/g, '')
  address = address.replace(/%.*$/, '') // 127.0.0.53%lo
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7)
  return {address, port}
}

/**
 * Parses `ss -Hltnup` (no header; netid column present because both -t and -u are given):
 * `tcp LISTEN 0 4096 203.0.113.50:443 0.0.0.0:* users:(("traefik",pid=812,fd=7))`.
 */
export function parseSs(output: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = []
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 6) continue
    const proto = cols[0]
    if (proto !== 'tcp' && proto !== 'udp') continue
    const local = splitLocal(cols[4]!)
    if (!local) continue
    const users = cols.slice(6).join(' ')
    const processes = [...users.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1]!)
    sockets.push({proto, ...local, processes: [...new Set(processes)]})
  }
  return sockets
}

/** Does a socket bound to `bound` take connections to `address`? */
export function covers(bound: string, address: string): boolean {
  if (bound === '*' || bound === address) return true
  if (bound === '0.0.0.0') return isIP(address) === 4
  if (bound === '::') return isIP(address) === 6
  return false
}

/** Sockets that would take a connection to `address:port` (the exact address or a wildcard of its family). */
export function socketsFor(sockets: readonly ListeningSocket[], proto: 'tcp' | 'udp', port: number, address?: string): ListeningSocket[] {
  return sockets.filter((s) => s.proto === proto && s.port === port && (address === undefined || covers(s.address, address)))
}
