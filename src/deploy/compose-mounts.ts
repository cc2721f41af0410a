/**
 * The data folders of a repository: bind-mount sources inside it that a container may write to. The sync never
 * sends, overwrites or deletes anything at or below them, so a deployment cannot wipe a database.
 *
 * Rule: every bind mount whose source lies inside the repository and is mounted read-write. A read-only mount
 * (`./www:/srv/www:ro`, `read_only: true`) is content the container cannot change, so it is synced like any
 * other file; mark content and configuration mounts `:ro` for their changes to reach the server.
 */
import {posix} from 'node:path'

import {UsageError} from '../errors.js'
import {COMPOSE_MAX_ALIAS_COUNT} from '../renet/compose/yaml-limits.js'

export interface ComposeSource {
  /** Path of the compose file relative to the repository root (`docker-compose.yml`, `api/compose.yaml`). */
  path: string
  text: string
  /** The variables of the `.env` beside it, when there is one (compose interpolates with them). */
  dotenv?: Record<string, string>
}

export interface MountOptions {
  /** Values for `${VAR}` in sources (the CLI's environment, over each file's `.env`); `${VAR:-default}` falls back to its default. */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * The relative paths (no `./`, sorted, none below another) of the repository's writable bind-mount sources.
 * A source with a variable that cannot be resolved protects the folder before the variable; one that would
 * protect the whole repository is refused (the sync could then never update anything).
 */
export async function protectedPathsFromCompose(files: readonly ComposeSource[], options: MountOptions = {}): Promise<string[]> {
  const {parse} = await import('yaml')
  const found = new Set<string>()
  for (const file of files) {
    let doc: unknown
    try {
      doc = parse(file.text, {merge: true, maxAliasCount: COMPOSE_MAX_ALIAS_COUNT})
    } catch (error) {
      throw new UsageError(`${file.path}: the compose file does not parse: ${(error as Error).message.split('\n')[0]}`, {
        field: 'file',
        suggestion: 'Fix the YAML; rdc reads it to find the data folders it must not touch.',
      })
    }

    if (!isObject(doc)) continue
    const dir = posix.dirname(file.path)
    const env = withDotenv(file.dotenv, options.env)
    const bindVolumes = namedBindVolumes(doc.volumes)
    const services = isObject(doc.services) ? doc.services : {}
    for (const spec of Object.values(services)) {
      if (!isObject(spec) || !Array.isArray(spec.volumes)) continue
      for (const volume of spec.volumes) {
        const source = writableBindSource(volume, bindVolumes)
        if (source === null) continue
        const path = resolveSource(source, dir, file.path, env)
        if (path !== null) found.add(path)
      }
    }
  }

  const sorted = [...found].sort()
  return sorted.filter((path) => !sorted.some((other) => other !== path && path.startsWith(`${other}/`)))
}

/** Top-level volumes that are bind mounts in disguise (`driver_opts: {type: none, o: bind, device: ./x}`). */
function namedBindVolumes(volumes: unknown): Map<string, string> {
  const out = new Map<string, string>()
  if (!isObject(volumes)) return out
  for (const [name, spec] of Object.entries(volumes)) {
    const opts = isObject(spec) && isObject(spec.driver_opts) ? spec.driver_opts : undefined
    if (opts !== undefined && typeof opts.device === 'string' && String(opts.o ?? '').split(',').includes('bind')) {
      out.set(name, opts.device)
    }
  }

  return out
}

function writableBindSource(volume: unknown, bindVolumes: Map<string, string>): string | null {
  if (typeof volume === 'string') {
    const parts = splitVolume(volume)
    if (parts.length < 2) return null
    const [source, , options = ''] = parts
    const readOnly = options.split(',').includes('ro')
    if (bindVolumes.has(source)) return bindVolumes.get(source) ?? null
    return isPathSource(source) && !readOnly ? source : null
  }

  if (!isObject(volume) || typeof volume.source !== 'string') return null
  if (volume.type === 'volume' && bindVolumes.has(volume.source)) return bindVolumes.get(volume.source) ?? null
  if (volume.type !== 'bind' || volume.read_only === true) return null
  return volume.source
}

/** `SRC:DST[:OPTS]`, where a `:` inside `${…}` (`${DIR:-./data}`) does not separate. */
function splitVolume(volume: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (let i = 0; i < volume.length; i++) {
    const c = volume[i]
    if (c === '$' && volume[i + 1] === '{') depth++
    else if (c === '}' && depth > 0) depth--
    if (c === ':' && depth === 0) {
      parts.push(current)
      current = ''
    } else {
      current += c
    }
  }

  parts.push(current)
  return parts
}

/** Compose reads a short-syntax source as a path only when it starts with `.`, `/` or `~` (else a named volume). */
function isPathSource(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || source.startsWith('$')
}

/** The source relative to the repository root, or null when it lies outside (absolute, `~`, `../`). */
function resolveSource(source: string, dir: string, file: string, env: Readonly<Record<string, string | undefined>>): string | null {
  const expanded = interpolate(source, env)
  // `${NAME}` that expands to a bare name is a named volume, not a folder.
  if (source.startsWith('$') && !/^[./~\0]/.test(expanded)) return null
  if (expanded.startsWith('/') || expanded.startsWith('~')) return null
  const normalized = posix.normalize(posix.join(dir, expanded)).replace(/\/+$/, '')
  if (normalized === '..' || normalized.startsWith('../')) return null
  // Cut at the first segment still holding an unresolved variable: everything below it may be data.
  const segments = normalized.split('/')
  const cut = segments.findIndex((segment) => segment.includes('\0'))
  const path = (cut === -1 ? segments : segments.slice(0, cut)).join('/')
  if (path === '.' || path === '') {
    throw new UsageError(`${file}: the writable bind mount '${source}' would make the whole repository a data folder`, {
      field: 'volumes',
      suggestion: "Mount a subfolder for the container's data, or add ':ro' if the container only reads it; rdc never overwrites a data folder.",
    })
  }

  return path
}

/** Expands `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}` (`$$` is a literal `$`); unresolved ones become NUL marks. */
function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, op, fallback, bare) => {
    if (whole === '$$') return '$'
    const name = (braced ?? bare) as string
    const value = env[name]
    const set = op === ':-' ? value !== undefined && value !== '' : value !== undefined
    if (set) return value as string
    if (op === ':-' || op === '-') return fallback as string
    return '\0'
  })
}

/** Compose's order: a variable of the environment wins over the `.env` file's. */
function withDotenv(dotenv: Readonly<Record<string, string>> | undefined, env: Readonly<Record<string, string | undefined>> = {}): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = {...dotenv}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value
  return merged
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
