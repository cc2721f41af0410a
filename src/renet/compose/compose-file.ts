/**
 * Finding and reading a repository's compose files. Parsing keeps the YAML document (not just its value) so a
 * cleaned copy can be written back with the user's comments, quoting and `${VAR}` references intact.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {type Document, isMap, parseDocument} from 'yaml'

import {UsageError} from '../../errors.js'
import {COMPOSE_MAX_ALIAS_COUNT} from './yaml-limits.js'

/** The names looked for, in docker-compose 1.x's order of preference (the first one present is used). */
export const COMPOSE_FILE_NAMES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml'] as const

export type ServiceSpec = Record<string, unknown>

export interface ComposeFile {
  path: string
  document: Document
  /** `version:` at the top, if the file has one (the override repeats it so docker-compose 1.x accepts the pair). */
  version?: string
  /** Services in file order, their values as plain data (merge keys applied). */
  services: Map<string, ServiceSpec>
}

/** The default compose file in DIR, or null. */
export function findComposeFile(dir: string): string | null {
  for (const name of COMPOSE_FILE_NAMES) {
    const path = join(dir, name)
    if (existsSync(path)) return path
  }

  return null
}

/** The compose files a run uses: the given ones (relative to DIR), else DIR's default one. */
export function composeFilePaths(dir: string, given: readonly string[]): string[] {
  if (given.length > 0) {
    return given.map((file) => {
      const path = resolve(dir, file)
      if (!existsSync(path)) {
        throw new UsageError(`compose file ${path} does not exist`, {
          field: 'file',
          suggestion: 'Check the -f/--file path; it is relative to the folder renet compose runs in.',
        })
      }

      return path
    })
  }

  const found = findComposeFile(dir)
  if (found === null) {
    throw new UsageError(`no compose file in ${dir}`, {
      field: 'file',
      suggestion: `Add one of ${COMPOSE_FILE_NAMES.join(', ')} beside the Rediaccfile, or pass -f <file>.`,
    })
  }

  return [found]
}

export function parseComposeFile(path: string, text: string): ComposeFile {
  const document = parseDocument(text, {merge: true, uniqueKeys: true, prettyErrors: true})
  const error = document.errors[0]
  if (error !== undefined) {
    const pos = error.linePos?.[0]
    const where = pos === undefined ? path : `${path}:${pos.line}:${pos.col}`
    const reason = error.message.replace(/ at line \d+, column \d+.*$/s, '')
    throw new UsageError(`${where}: the compose file does not parse: ${reason}`, {
      field: 'file',
      suggestion: `Fix the YAML at line ${pos?.line ?? '?'}, column ${pos?.col ?? '?'} of ${path}.`,
    })
  }

  let value: unknown
  try {
    value = document.toJS({maxAliasCount: COMPOSE_MAX_ALIAS_COUNT})
  } catch (error) {
    throw new UsageError(`${path}: the compose file expands its *aliases more than ${COMPOSE_MAX_ALIAS_COUNT} times: ${(error as Error).message}`, {
      field: 'file',
      suggestion: 'Nest fewer aliases inside anchors (an alias of an anchor that itself holds aliases multiplies), or write the values out.',
    })
  }

  if (!isPlainObject(value)) {
    throw new UsageError(`${path}: the compose file is not a mapping of top-level keys`, {
      field: 'file',
      suggestion: 'A compose file starts with `services:` and maps each service name to its settings.',
    })
  }

  const rawServices = value.services
  if (rawServices === undefined || rawServices === null) {
    throw new UsageError(`${path}: the compose file has no services:`, {
      field: 'file',
      suggestion: 'Declare the containers under a top-level `services:` key.',
    })
  }

  if (!isPlainObject(rawServices) || !isMap(document.get('services', true))) {
    throw new UsageError(`${path}: services: must map each service name to its settings`, {
      field: 'file',
      suggestion: 'Write `services:` as a mapping, e.g. `services:\\n  webapp:\\n    image: …`.',
    })
  }

  const services = new Map<string, ServiceSpec>()
  for (const [name, spec] of Object.entries(rawServices)) {
    if (spec !== null && !isPlainObject(spec)) {
      throw new UsageError(`${path}: service '${name}' must be a mapping of settings`, {field: 'file'})
    }

    services.set(name, spec ?? {})
  }

  const version = value.version === undefined ? undefined : String(value.version)
  return {path, document, version, services}
}

export function readComposeFile(path: string): ComposeFile {
  return parseComposeFile(path, readFileSync(path, 'utf8'))
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
