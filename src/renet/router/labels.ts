/**
 * Decodes a container's `traefik.*` labels the way Traefik's Docker provider does (its label parser, paerser):
 * only keys under Traefik's label filters (traefik.http / .tcp / .udp / .tls.stores.default, prefix compared
 * case-insensitively)
 * are read; keys are sorted, split on '.', and `name[0]` becomes `name` + `[0]`; the root must be exactly
 * `traefik`; sibling nodes merge case-insensitively (the first spelling in sort order names a map key); field
 * names match case-insensitively; lists are comma-split and trimmed; any error rejects the whole label set.
 */
import {Field, Kind, LABEL_FILTERS, Scalar, labelModel} from './label-model.js'

export class LabelDecodeError extends Error {}

interface Node {
  name: string
  value: string
  children: Node[]
  /** Lower-case name: siblings merge case-insensitively. */
  lower: string
}

const FILTERS = LABEL_FILTERS.map((f) => f.toLowerCase())

function matchesFilter(key: string): boolean {
  // Most keys (com.docker.*, rediacc.*, org.opencontainers.*) are turned away by their first character; a
  // non-ASCII one takes the full comparison, since lower-casing it may give a 't' (as Go's EqualFold does).
  const c = key.charCodeAt(0)
  if (c !== 116 && c !== 84 && c < 128) return false
  // paerser: the key's first len(filter) bytes equal the filter, letter case aside.
  for (const f of FILTERS) if (key.length >= f.length && key.slice(0, f.length).toLowerCase() === f) return true
  return false
}

function child(node: Node, name: string, lower: string): Node {
  for (const c of node.children) if (c.lower === lower) return c
  const found: Node = {name, lower, value: '', children: []}
  node.children.push(found)
  return found
}

/** A label key split into tree path parts below the root, with their lower-case forms; or why it is invalid. */
type ParsedKey = {parts: string[]; lowers: string[]} | {error: string}

function parseKey(key: string): ParsedKey {
  const split = key.split('.')
  if (split[0] !== 'traefik') return {error: `invalid label root ${split[0]}`}
  const parts: string[] = []
  for (let i = 1; i < split.length; i++) {
    const v = split[i]
    if (v === '') return {error: `invalid element: ${key}`}
    if (v.startsWith('[')) return {error: `invalid leading character '[' in field name (bracket is a slice delimiter): ${v}`}
    if (v.endsWith(']')) {
      const left = v.indexOf('[')
      if (left < 0) return {error: `invalid bracket in field name "${v}"`}
      parts.push(v.slice(0, left), v.slice(left))
    } else {
      parts.push(v)
    }
  }

  return {parts, lowers: parts.map((p) => p.toLowerCase())}
}

/**
 * Parsed label keys. Keys repeat across containers and rebuilds (one compose file, many repositories), so the
 * route server splits each once; the builder owns one. Cleared when it grows past a bound, so odd label sets
 * cannot grow it.
 */
export class LabelKeyCache {
  private readonly parsed = new Map<string, ParsedKey>()

  constructor(private readonly max = 20_000) {}

  get(key: string): ParsedKey {
    let parsed = this.parsed.get(key)
    if (parsed === undefined) {
      if (this.parsed.size >= this.max) this.parsed.clear()
      parsed = parseKey(key)
      this.parsed.set(key, parsed)
    }

    return parsed
  }

  get size(): number {
    return this.parsed.size
  }
}

function toTree(labels: Record<string, string>, cache: LabelKeyCache): Node | null {
  const keys: string[] = []
  for (const key in labels) if (matchesFilter(key)) keys.push(key)
  if (keys.length === 0) return null
  // Default sort compares UTF-16 code units: paerser's byte order for every ASCII key.
  keys.sort()
  const root: Node = {name: 'traefik', lower: 'traefik', value: '', children: []}
  for (const key of keys) {
    const parsed = cache.get(key)
    if ('error' in parsed) throw new LabelDecodeError(parsed.error)
    let node = root
    for (let i = 0; i < parsed.parts.length; i++) node = child(node, parsed.parts[i], parsed.lowers[i])
    node.value = labels[key]
  }

  return root
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | null {
  if (TRUE.has(value)) return true
  if (FALSE.has(value)) return false
  return null
}

function parseScalar(value: string, types: Scalar[], name: string): string | number | boolean {
  if (types.includes('boolean')) {
    const b = parseGoBool(value)
    if (b !== null) return b
    if (!types.includes('string')) throw new LabelDecodeError(`${name}: invalid boolean ${JSON.stringify(value)}`)
  }

  if (types.includes('integer') || types.includes('number')) {
    const integer = /^[+-]?\d+$/.test(value)
    if (integer || (types.includes('number') && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value))) {
      const n = Number(value)
      if (!Number.isSafeInteger(n) && integer) throw new LabelDecodeError(`${name}: ${value} is out of range`)
      return n
    }

    if (!types.includes('string')) throw new LabelDecodeError(`${name}: invalid number ${JSON.stringify(value)}`)
  }

  return value
}

function raw(node: Node): unknown {
  if (node.children.length === 0) return node.value
  if (node.children[0].name.startsWith('[') && node.children[0].name.endsWith(']')) return node.children.map(raw)
  const out: Record<string, unknown> = {}
  for (const c of node.children) out[c.name] = raw(c)
  return out
}

function isStructLike(kind: Kind): boolean {
  return kind.t === 'struct' || kind.t === 'map'
}

/** Returns undefined when the element is disabled (`tls=false`). */
function fill(node: Node, kind: Kind, field: Pick<Field, 'allowEmpty'> | null): unknown {
  // Map entries and list elements are not fields: paerser applies the standalone/allowEmpty rules to fields only.
  if (field !== null && isStructLike(kind)) {
    if (node.children.length === 0 && !field.allowEmpty) {
      throw new LabelDecodeError(`${node.name} cannot be a standalone element`)
    }

    if (field.allowEmpty && node.value.length > 0 && node.value.toLowerCase() !== 'true') return undefined
  }

  switch (kind.t) {
    case 'struct': {
      const out: Record<string, unknown> = {}
      for (const c of node.children) {
        const f = kind.fields.get(c.lower)
        if (!f) throw new LabelDecodeError(`field not found, node: ${c.name}`)
        const v = fill(c, f.kind, f)
        if (v !== undefined) out[f.name] = v
      }

      return out
    }

    case 'map': {
      const out: Record<string, unknown> = {}
      for (const c of node.children) {
        if (kind.value.t === 'raw') {
          out[c.name] = raw(c)
          continue
        }

        // A map entry that is a struct may be given with no fields at all (`routers.web=x`): an empty struct.
        const v = fill(c, kind.value, null)
        if (v !== undefined) out[c.name] = v
      }

      return out
    }

    case 'raw': {
      return raw(node)
    }

    case 'list': {
      if (node.children.length > 0) throw new LabelDecodeError(`field not found, node: ${node.children[0].name}`)
      if (node.value.length === 0) return undefined
      return node.value.split(',').map((v) => parseScalar(v.trim(), kind.item, node.name))
    }

    case 'structList': {
      if (node.children.length === 0) return undefined
      return node.children.map((c) => fill(c, kind.item, null))
    }

    case 'sliceAsStruct': {
      if (node.children.length === 0) throw new LabelDecodeError(`invalid slice: node ${node.name}`)
      return [fill(node, kind.item, null)]
    }

    case 'scalar': {
      if (node.children.length > 0) throw new LabelDecodeError(`invalid node ${node.name}: ${kind.types[0]}`)
      return parseScalar(node.value, kind.types, node.name)
    }
  }
}

export interface DecodedLabels {
  http?: {routers?: Record<string, any>; services?: Record<string, any>; middlewares?: Record<string, any>}
  tcp?: {routers?: Record<string, any>; services?: Record<string, any>; middlewares?: Record<string, any>}
  udp?: {routers?: Record<string, any>; services?: Record<string, any>}
  tls?: Record<string, unknown>
}

/** Decodes the traefik.{http,tcp,udp,tls} labels; throws LabelDecodeError like Traefik's provider would fail. */
export function decodeTraefikLabels(labels: Record<string, string>, cache = new LabelKeyCache()): DecodedLabels {
  const tree = toTree(labels, cache)
  if (tree === null) return {}
  return fill(tree, labelModel(), {allowEmpty: false}) as DecodedLabels
}

/** `traefik.enable`, parsed as Traefik parses it (Go booleans); anything else is a decode error. */
export function traefikEnabled(labels: Record<string, string>): boolean {
  const value = labels['traefik.enable']
  if (value === undefined) return false
  const b = parseGoBool(value)
  if (b === null) throw new LabelDecodeError(`traefik.enable: invalid boolean ${JSON.stringify(value)}`)
  return b
}
