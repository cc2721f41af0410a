import {ParseError, type Protocol} from './router.js'

/** A router as Traefik's API (/api/{http,tcp,udp}/routers) reports it. */
export interface TraefikRouter {
  protocol: Protocol
  /** Name without the provider suffix. */
  name: string
  provider: string
  rule?: string
  entryPoints: string[]
  /** enabled | disabled | warning */
  status: string
  errors: string[]
}

export interface TraefikEntryPoint {
  name: string
  address: string
}

function array(body: string, what: string): Array<Record<string, unknown>> {
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    throw new ParseError(`${what} is not JSON`)
  }
  if (!Array.isArray(doc)) throw new ParseError(`${what} is not a list`)
  return doc.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null)
}

/**
 * The name a provider gave an HTTP router, from the name Traefik's API shows. An entry point with HTTP defaults of
 * its own (`http.tls`, redirections, middlewares: our web and websecure) gets its own copy of every router on it,
 * named `<entryPoint>-<router>` with that one entry point, so `webapp@http` on websecure and websecure-v6 is listed
 * as `websecure-webapp@http` and `websecure-v6-webapp@http`.
 */
export function providerRouterName(name: string, entryPoints: readonly string[]): string {
  const [ep] = entryPoints
  return entryPoints.length === 1 && ep !== undefined && name.startsWith(`${ep}-`) ? name.slice(ep.length + 1) : name
}

const STATUS_RANK: Record<string, number> = {enabled: 0, warning: 1, disabled: 2}

/** Folds Traefik's per-entry-point copies of an HTTP router back into the one router the provider served. */
function foldEntryPointCopies(routers: TraefikRouter[]): TraefikRouter[] {
  const byName = new Map<string, TraefikRouter>()
  for (const r of routers) {
    const name = r.protocol === 'http' && r.provider !== 'internal' ? providerRouterName(r.name, r.entryPoints) : r.name
    const k = `${r.provider}/${name}`
    const seen = byName.get(k)
    if (!seen) {
      byName.set(k, {...r, name})
      continue
    }
    seen.entryPoints = [...new Set([...seen.entryPoints, ...r.entryPoints])]
    seen.errors = [...new Set([...seen.errors, ...r.errors])]
    if ((STATUS_RANK[r.status] ?? 3) > (STATUS_RANK[seen.status] ?? 3)) seen.status = r.status
  }
  return [...byName.values()]
}

export function parseTraefikRouters(protocol: Protocol, body: string): TraefikRouter[] {
  return foldEntryPointCopies(array(body, `/api/${protocol}/routers`).map((o) => {
    const full = typeof o.name === 'string' ? o.name : ''
    const at = full.lastIndexOf('@')
    const router: TraefikRouter = {
      protocol,
      name: at > 0 ? full.slice(0, at) : full,
      provider: typeof o.provider === 'string' ? o.provider : at > 0 ? full.slice(at + 1) : '',
      entryPoints: Array.isArray(o.entryPoints) ? o.entryPoints.filter((e): e is string => typeof e === 'string') : [],
      status: typeof o.status === 'string' ? o.status : 'unknown',
      errors: Array.isArray(o.error) ? o.error.filter((e): e is string => typeof e === 'string') : [],
    }
    if (typeof o.rule === 'string') router.rule = o.rule
    return router
  }))
}

export function parseTraefikEntryPoints(body: string): TraefikEntryPoint[] {
  return array(body, '/api/entrypoints').map((o) => ({
    name: typeof o.name === 'string' ? o.name : '',
    address: typeof o.address === 'string' ? o.address : '',
  }))
}
