import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {ConfigError} from '../errors.js'

/** What a project config (.rdcrc, .rdcrc.yaml, rdc.config.*, package.json#rdc) may choose. */
export interface ProjectConfig {
  context?: string
  machine?: string
  filepath: string
}

/**
 * The nearest project config from `cwd` up to the project root (the folder with package.json). cosmiconfig is
 * loaded only here, so commands that get their context from a flag or the environment never pay for it.
 */
export async function findProjectConfig(cwd = process.cwd()): Promise<ProjectConfig | undefined> {
  if (!mayHoldProjectConfig(cwd)) return undefined
  const {cosmiconfig} = await import('cosmiconfig')
  const explorer = cosmiconfig('rdc', {
    searchStrategy: 'project',
    searchPlaces: ['package.json', '.rdcrc', '.rdcrc.yaml', '.rdcrc.yml', '.rdcrc.json', 'rdc.config.yaml', 'rdc.config.yml', 'rdc.config.json', 'rdc.config.js', 'rdc.config.mjs', 'rdc.config.cjs', 'rdc.config.ts'],
  })
  let found: {config: unknown; filepath: string; isEmpty?: boolean} | null
  try {
    found = await explorer.search(cwd)
  } catch (error) {
    throw new ConfigError(`The project config could not be read: ${(error as Error).message.split('\n')[0]}`, {
      suggestion: 'Fix the file named above (.rdcrc, rdc.config.* or the "rdc" key of package.json).',
      cause: error,
    })
  }
  let result: ProjectConfig | undefined
  if (found && !found.isEmpty) {
    const config = found.config as Record<string, unknown>
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new ConfigError(`The project config ${found.filepath} must be a mapping such as {context: production, machine: server-1}.`, {
        suggestion: 'Fix the file; only the keys "context" and "machine" are read.',
      })
    }
    for (const key of ['context', 'machine'] as const) {
      if (config[key] !== undefined && typeof config[key] !== 'string') {
        throw new ConfigError(`The project config ${found.filepath} has a non-text "${key}".`, {suggestion: `Set ${key} to a name, e.g. ${key}: server-1.`})
      }
    }
    result = {context: config.context as string | undefined, machine: config.machine as string | undefined, filepath: found.filepath}
  }
  return result
}

const CANDIDATE = /^(\.rdcrc(\.(ya?ml|json))?|rdc\.config\.(ya?ml|json|js|mjs|cjs|ts))$/

/**
 * A cheap look for anything cosmiconfig would find, walking up as its "project" strategy does (to the folder with
 * package.json). Most commands run where there is no project config; they then never load cosmiconfig.
 */
export function mayHoldProjectConfig(cwd: string): boolean {
  for (let dir = cwd; ; dir = dirname(dir)) {
    let names: string[] = []
    try {
      names = readdirSync(dir)
    } catch {}
    if (names.some((n) => CANDIDATE.test(n))) return true
    if (names.includes('package.json')) {
      try {
        return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {rdc?: unknown}).rdc !== undefined
      } catch {
        return true
      }
    }
    if (dirname(dir) === dir) return false
  }
}
