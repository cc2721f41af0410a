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

export function parseTraefikRouters(protocol: Protocol, body: string): TraefikRouter[] {
  return array(body, `/api/${protocol}/routers`).map((o) => {
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
  })
}

export function parseTraefikEntryPoints(body: string): TraefikEntryPoint[] {
  return array(body, '/api/entrypoints').map((o) => ({
    name: typeof o.name === 'string' ? o.name : '',
    address: typeof o.address === 'string' ? o.address : '',
  }))
}
