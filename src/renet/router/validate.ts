/**
 * What Traefik's file-provider schema demands of a decoded label configuration beyond the field names and
 * types the decoder already takes from Traefik's own types (label-model.ts): a router priority ≥ 0, exactly one
 * type per middleware, `retry.attempts`, a non-empty `chain.middlewares`, plugin settings as objects, and
 * routers with a rule (http/tcp) and a service. A container whose labels break one of these is skipped.
 *
 * A hand-written check rather than a JSON-schema validator at run time: compiling the 80 kB schema costs the
 * long-running route server about 20 MB of memory and a second of start-up. The property tests validate every
 * served body against the full schema, so the two cannot drift apart unnoticed.
 */

type Obj = Record<string, any>

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function checkRouters(proto: string, routers: Obj | undefined): string | null {
  for (const [name, r] of Object.entries(routers ?? {})) {
    if (proto !== 'udp' && typeof r.rule !== 'string') return `/${proto}/routers/${name}: must have required property 'rule'`
    if (typeof r.service !== 'string') return `/${proto}/routers/${name}: must have required property 'service'`
    if (r.priority !== undefined && !(Number.isInteger(r.priority) && r.priority >= 0)) return `/${proto}/routers/${name}/priority: must be >= 0`
  }

  return null
}

function checkMiddleware(name: string, m: Obj): string | null {
  const types = Object.keys(m)
  if (types.length !== 1) return `/http/middlewares/${name}: must have exactly one middleware type, has ${types.length}`
  const [type] = types
  const body = m[type]
  if (type === 'retry' && body.attempts === undefined) return `/http/middlewares/${name}/retry: must have required property 'attempts'`
  if (type === 'chain' && body.middlewares !== undefined && body.middlewares.length === 0) return `/http/middlewares/${name}/chain/middlewares: must not be empty`
  if (type === 'plugin') {
    for (const [plugin, settings] of Object.entries(body as Obj)) {
      if (!isObject(settings)) return `/http/middlewares/${name}/plugin/${plugin}: must be an object`
    }
  }

  return null
}

/** Null when the configuration is acceptable, else the first problem as `path: message`. */
export function schemaError(config: Obj): string | null {
  for (const proto of ['http', 'tcp', 'udp']) {
    const error = checkRouters(proto, config[proto]?.routers)
    if (error !== null) return error
    for (const [name, svc] of Object.entries((config[proto]?.services ?? {}) as Obj)) {
      const {middlewares, ...rest} = svc
      if ((middlewares !== undefined && !(Array.isArray(middlewares) && middlewares.length > 0)) || Object.keys(rest).length !== 1 || !isObject(svc.loadBalancer) || !Array.isArray(svc.loadBalancer.servers) || svc.loadBalancer.servers.length === 0) {
        return `/${proto}/services/${name}: must be one load balancer with a server`
      }
    }
  }

  for (const [name, m] of Object.entries((config.http?.middlewares ?? {}) as Obj)) {
    const error = checkMiddleware(name, m)
    if (error !== null) return error
  }

  return null
}
