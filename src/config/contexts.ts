import {ConflictError} from '../errors.js'
import {getContext} from './resolve.js'
import type {ConfigStore} from './store.js'
import {validateName} from './validate.js'

/** Context-level operations on the file. Each runs inside one locked update. */

export interface ContextSummary {
  name: string
  current: boolean
  machines: number
  repositories: number
}

export async function createContext(store: ConfigStore, name: string, opts: {use?: boolean} = {}): Promise<{name: string; current: boolean}> {
  validateName(name, 'name', 'context name')
  return store.update((config) => {
    if (config.contexts[name]) throw new ConflictError(`A context named "${name}" already exists.`, {suggestion: `Use it: rdc context use ${name}`})
    config.contexts[name] = {ssh: {}, machines: {}, repositories: {}}
    if (opts.use || !config.current) config.current = name
    return {name, current: config.current === name}
  })
}

export async function listContexts(store: ConfigStore): Promise<ContextSummary[]> {
  const config = await store.read()
  return Object.entries(config.contexts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({name, current: config.current === name, machines: Object.keys(c.machines).length, repositories: Object.keys(c.repositories).length}))
}

export async function useContext(store: ConfigStore, name: string): Promise<{name: string; previous?: string}> {
  return store.update((config) => {
    getContext(config, name)
    const previous = config.current
    config.current = name
    return {name, previous}
  })
}

export async function renameContext(store: ConfigStore, from: string, to: string): Promise<{from: string; to: string; current: boolean}> {
  validateName(to, 'new-name', 'context name')
  return store.update((config) => {
    const context = getContext(config, from)
    if (config.contexts[to]) throw new ConflictError(`A context named "${to}" already exists.`, {suggestion: 'Pick another name, or delete that context first.'})
    // Rebuild the mapping so the renamed context keeps its place in the file.
    config.contexts = Object.fromEntries(Object.entries(config.contexts).map(([k, v]) => (k === from ? [to, context] : [k, v])))
    if (config.current === from) config.current = to
    return {from, to, current: config.current === to}
  })
}

export async function deleteContext(store: ConfigStore, name: string, opts: {force?: boolean} = {}): Promise<{name: string; machines: number; wasCurrent: boolean}> {
  return store.update((config) => {
    const context = getContext(config, name)
    const machines = Object.keys(context.machines).length
    if (machines > 0 && !opts.force) {
      throw new ConflictError(`Context "${name}" still has ${machines} machine(s).`, {suggestion: `Remove them first, or delete anyway: rdc context delete ${name} --force`})
    }
    delete config.contexts[name]
    const wasCurrent = config.current === name
    if (wasCurrent) delete config.current
    return {name, machines, wasCurrent}
  })
}
