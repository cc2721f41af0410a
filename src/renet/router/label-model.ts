/**
 * The typed shape labels decode into: Traefik's own dynamic-configuration types, as its Docker provider decodes
 * labels into them, read from Traefik's Go source by scripts/traefik-labels.mjs into traefik-labels.generated.json
 * for the release rdc runs (TRAEFIK_VERSION; the generated file records it, and the tag and commit it was read
 * from). Struct tags decide what labels can set: `label:"-"` fields do not exist for labels (services are load
 * balancers only, `server.url`'s TCP/UDP twin `address` is hidden), `label:"allowEmpty"` fields may stand alone
 * (`tls=true`), a `label-slice-as-struct` list is written as one struct (`loadbalancer.server.port`).
 * Field names match case-insensitively (by their Go name); the json name is what we emit.
 * After a Traefik upgrade: `node scripts/traefik-labels.mjs` (label-model.test.ts fails until it is run).
 */
import generated from './traefik-labels.generated.json'

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
  /** Canonical name as emitted (the json name). */
  name: string
  kind: Kind
  allowEmpty: boolean
}

/** The generated file's kinds (see scripts/traefik-labels.mjs). */
interface GenKind {
  scalar?: string
  raw?: boolean
  type?: string
  map?: GenKind
  list?: string
  structList?: GenKind
  sliceAsStruct?: GenKind
}

interface GenField {
  label: string
  json: string
  allowEmpty?: boolean
  kind: GenKind
}

interface Generated {
  traefikVersion: string
  source: {repository: string; ref: string; commit: string; note?: string}
  filters: string[]
  root: string
  types: Record<string, GenField[]>
  /** Every label path Traefik's filters let through, `<name>` for a map key, with its leaf kind. */
  paths: Array<[string, string]>
}

export const LABEL_SOURCE = generated as unknown as Generated

/** Label key prefixes Traefik decodes (its pkg/config/label): anything else under `traefik.` is not read. */
export const LABEL_FILTERS: readonly string[] = LABEL_SOURCE.filters

function scalar(name: string): Scalar[] {
  switch (name) {
    case 'boolean':
    case 'integer':
    case 'number': {
      return [name]
    }

    // paerser's Duration: `10s` or a number of seconds, served as the string written (Traefik reads both).
    default: {
      return ['string']
    }
  }
}

function convert(kind: GenKind, structs: Map<string, Kind>): Kind {
  if (kind.type !== undefined) return structKind(kind.type, structs)
  // map[string]any, the plugin settings: kept as raw nested values.
  if (kind.map?.raw) return {t: 'raw'}
  if (kind.map) return {t: 'map', value: convert(kind.map, structs)}
  if (kind.raw) return {t: 'raw'}
  if (kind.list !== undefined) return {t: 'list', item: scalar(kind.list)}
  if (kind.structList) return {t: 'structList', item: convert(kind.structList, structs)}
  if (kind.sliceAsStruct) return {t: 'sliceAsStruct', item: convert(kind.sliceAsStruct, structs)}
  return {t: 'scalar', types: scalar(kind.scalar ?? 'string')}
}

function structKind(name: string, structs: Map<string, Kind>): Kind {
  const known = structs.get(name)
  if (known) return known
  const fields = new Map<string, Field>()
  const kind: Kind = {t: 'struct', fields}
  // Registered before its fields are made: a type that refers to itself gets this same object.
  structs.set(name, kind)
  const defs = LABEL_SOURCE.types[name]
  if (defs === undefined) throw new Error(`traefik-labels.generated.json has no type ${name}`)
  for (const f of defs) fields.set(f.label.toLowerCase(), {name: f.json, kind: convert(f.kind, structs), allowEmpty: f.allowEmpty === true})
  return kind
}

let cached: Kind | undefined

/** The root: `traefik.{http,tcp,udp,tls}`. Built once, on first use. */
export function labelModel(): Kind {
  cached ??= structKind(LABEL_SOURCE.root, new Map())
  return cached
}
