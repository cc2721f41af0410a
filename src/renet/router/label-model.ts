/**
 * The typed shape labels decode into, derived from Traefik's dynamic-configuration JSON schema (the same schema
 * every body we serve must satisfy), with the differences Traefik's label tags make:
 * - services can only be load balancers (`weighted`, `mirroring`, `failover` carry `label:"-"`);
 * - a load balancer's `servers` list is written `server.port` / `server.scheme` (`label-slice-as-struct`), the
 *   URL or address itself cannot be set by a label;
 * - `tls`, `sticky`, `sticky.cookie`, `compress` and `contentType` may stand alone (`tls=true`): `allowEmpty`;
 * - tcp middlewares (ipAllowList, inFlightConn) are not in the schema but are decoded by Traefik.
 * Field names match case-insensitively; the canonical (camelCase) name is what we emit.
 */
import schema from './traefik-dynamic.schema.json'

export type Scalar = 'string' | 'integer' | 'number' | 'boolean'

export type Kind =
  | {t: 'struct'; fields: Map<string, Field>}
  | {t: 'map'; value: Kind}
  | {t: 'raw'}
  | {t: 'list'; item: Scalar[]}
  | {t: 'structList'; item: Kind}
  | {t: 'sliceAsStruct'; item: Kind}
  | {t: 'scalar'; types: Scalar[]}

export interface Field {
  /** Canonical name as emitted. */
  name: string
  kind: Kind
  allowEmpty: boolean
}

type SchemaNode = Record<string, unknown>
const definitions = (schema as {definitions: Record<string, SchemaNode>}).definitions

function resolve(node: SchemaNode): SchemaNode {
  let n = node
  while (typeof n.$ref === 'string') {
    const name = n.$ref.replace('#/definitions/', '')
    n = definitions[name] ?? {}
  }

  return n
}

function alternatives(node: SchemaNode): SchemaNode[] {
  const alts = [...((node.oneOf as SchemaNode[]) ?? []), ...((node.anyOf as SchemaNode[]) ?? [])]
  return alts.map(resolve)
}

function scalarTypes(node: SchemaNode): Scalar[] {
  const types = new Set<Scalar>()
  const add = (t: unknown) => {
    for (const x of Array.isArray(t) ? t : [t]) if (x === 'string' || x === 'integer' || x === 'number' || x === 'boolean') types.add(x)
  }

  add(node.type)
  for (const alt of alternatives(node)) add(alt.type)
  return types.size === 0 ? ['string'] : [...types]
}

const ALLOW_EMPTY = new Set(['tls', 'sticky', 'cookie', 'compress', 'contentType'])

function struct(fields: Record<string, Kind>, allowEmpty: Iterable<string> = []): Kind {
  const empty = new Set(allowEmpty)
  const map = new Map<string, Field>()
  for (const [name, kind] of Object.entries(fields)) map.set(name.toLowerCase(), {name, kind, allowEmpty: empty.has(name)})
  return {t: 'struct', fields: map}
}

/** A Kind for a schema node; `seen` stops recursion through self-referencing definitions. */
function kindOf(raw: SchemaNode, seen: Set<SchemaNode> = new Set()): Kind {
  const node = resolve(raw)
  if (seen.has(node)) return {t: 'raw'}
  const inner = new Set(seen).add(node)
  const props: Record<string, SchemaNode> = {...((node.properties as Record<string, SchemaNode>) ?? {})}
  for (const alt of alternatives(node)) Object.assign(props, (alt.properties as Record<string, SchemaNode>) ?? {})
  const type = node.type ?? alternatives(node)[0]?.type
  if (type === 'array') {
    const items = resolve((node.items as SchemaNode) ?? {})
    if (items.type === 'object' || items.properties !== undefined) return {t: 'structList', item: kindOf(items, inner)}
    return {t: 'list', item: scalarTypes(items)}
  }

  if (Object.keys(props).length > 0) {
    const fields: Record<string, Kind> = {}
    for (const [name, p] of Object.entries(props)) fields[name] = kindOf(p, inner)
    return struct(fields, Object.keys(fields).filter((n) => ALLOW_EMPTY.has(n)))
  }

  const additional = node.additionalProperties
  const pattern = node.patternProperties as Record<string, SchemaNode> | undefined
  const valueSchema = typeof additional === 'object' && additional !== null ? (additional as SchemaNode) : pattern ? Object.values(pattern)[0] : undefined
  if (valueSchema !== undefined) {
    const value = resolve(valueSchema)
    // map[string]interface{} in Traefik (plugin configuration): kept as raw nested values.
    if (value.type === 'object' && value.properties === undefined && value.additionalProperties === undefined) {
      return {t: 'map', value: {t: 'raw'}}
    }

    return {t: 'map', value: kindOf(value, inner)}
  }

  if (type === 'object') return struct({})
  return {t: 'scalar', types: scalarTypes(node)}
}

function withoutField(kind: Kind, name: string): Map<string, Field> {
  if (kind.t !== 'struct') throw new Error('expected a struct kind')
  const fields = new Map(kind.fields)
  fields.delete(name.toLowerCase())
  return fields
}

function loadBalancer(definition: string, server: Record<string, Kind>): Kind {
  const fields = withoutField(kindOf(definitions[definition]), 'servers')
  fields.set('server', {name: 'servers', kind: {t: 'sliceAsStruct', item: struct(server)}, allowEmpty: false})
  return {t: 'struct', fields}
}

function services(definition: string, server: Record<string, Kind>): Kind {
  return {t: 'map', value: struct({loadBalancer: loadBalancer(definition, server)})}
}

let cached: Kind | undefined

/** The root: `traefik.{http,tcp,udp,tls}`. Built once, on first use. */
export function labelModel(): Kind {
  if (cached) return cached
  const str: Kind = {t: 'scalar', types: ['string']}
  const int: Kind = {t: 'scalar', types: ['integer']}
  const rootProps = (schema as {properties: Record<string, SchemaNode>}).properties
  const tcpMiddleware = struct({
    ipAllowList: struct({sourceRange: {t: 'list', item: ['string']}}),
    ipWhiteList: struct({sourceRange: {t: 'list', item: ['string']}}),
    inFlightConn: struct({amount: int}),
  })
  cached = struct({
    http: struct({
      routers: {t: 'map', value: kindOf(definitions.httpRouter)},
      services: services('httpLoadBalancerService', {port: str, scheme: str, weight: int}),
      middlewares: {t: 'map', value: kindOf(definitions.httpMiddleware)},
    }),
    tcp: struct({
      routers: {t: 'map', value: kindOf(definitions.tcpRouter)},
      services: services('tcpLoadBalancerService', {port: str}),
      middlewares: {t: 'map', value: tcpMiddleware},
    }),
    udp: struct({
      routers: {t: 'map', value: kindOf(definitions.udpRouter)},
      services: services('udpLoadBalancerService', {port: str}),
    }),
    tls: kindOf(rootProps.tls),
  })
  return cached
}
