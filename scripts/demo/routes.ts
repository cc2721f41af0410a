/** What the route server serves on /routes.json (src/renet/router/types.ts), as far as the demo reads it. */
export interface RouteEntry {
  protocol: 'http' | 'tcp' | 'udp'
  router: string
  rule?: string
  entryPoints?: string[]
  backends: string[]
  networkId?: number
  container?: string
  source?: string
}

export interface RefusalEntry {
  container: string
  reason: string
}

/** Hostnames a rule matches (Host / HostSNI arguments), or the rule itself when it names none. */
export function ruleHosts(rule: string | undefined): string[] {
  if (!rule) return []
  const hosts = [...rule.matchAll(/Host(?:SNI)?\(([^)]*)\)/g)].flatMap((m) => [...m[1]!.matchAll(/`([^`]*)`/g)].map((q) => q[1]!))
  return hosts.length > 0 ? hosts : [rule]
}

/** One line per route (HTTP, then TCP, then UDP), "hostname → backend", for people: what Traefik is told to send where. */
export function summariseRoutes(routes: RouteEntry[], refusals: RefusalEntry[] = []): string[] {
  const order = {http: 0, tcp: 1, udp: 2}
  const sorted = [...routes].sort((a, b) => order[a.protocol] - order[b.protocol] || (a.rule ?? a.router).localeCompare(b.rule ?? b.router))
  const rows = sorted.map((r) => {
    const eps = (r.entryPoints ?? []).join(',')
    const hosts = r.protocol === 'udp' ? [] : ruleHosts(r.rule).map((h) => (h === '*' ? 'any' : h))
    const left =
      r.protocol === 'http'
        ? `${hosts.join(', ')}  (${eps})`
        : `${eps}  (${r.protocol.toUpperCase()}${hosts.length > 0 ? `, SNI ${hosts.join(', ')}` : ''})`
    return [left, `${r.backends.join(', ')}${r.source ? `  [${r.source}${r.container ? `, ${r.container}` : ''}]` : ''}`] as const
  })
  const width = Math.max(0, ...rows.map(([left]) => left.length))
  return [
    ...rows.map(([left, right]) => `${left.padEnd(width)}  →  ${right}`),
    ...refusals.map((f) => `refused: ${f.container}: ${f.reason}`),
  ]
}

/**
 * Routers of the route server's routes that Traefik's API (its `/api/<protocol>/routers` lists, as
 * parseTraefikRouters reads them) does not show yet.
 */
export function notYetLoaded(routes: RouteEntry[], loaded: Array<{name: string; provider: string}>): string[] {
  const names = new Set(loaded.map((r) => `${r.name}@${r.provider}`))
  return routes.filter((r) => !names.has(`${r.router}@http`)).map((r) => r.router)
}
