import {NotFoundError, UsageError} from '../errors.js'
import {suggestName} from './did-you-mean.js'
import {configPath} from './paths.js'
import {findProjectConfig} from './project.js'
import type {Context, Machine, RdcConfig} from './schema.js'
import {ConfigStore} from './store.js'

export type NameSource = 'flag' | 'env' | 'project' | 'file'

export interface ResolveOptions {
  configPath?: string
  /** The --context flag (oclif fills it from RDC_CONTEXT too). */
  context?: string
}

/** The context to use, by precedence: flag > RDC_CONTEXT > project config > the file's `current`. */
export async function chooseContextName(config: RdcConfig, opts: ResolveOptions): Promise<{name?: string; source?: NameSource}> {
  if (opts.context) return {name: opts.context, source: 'flag'}
  if (process.env.RDC_CONTEXT) return {name: process.env.RDC_CONTEXT, source: 'env'}
  const project = await findProjectConfig()
  if (project?.context) return {name: project.context, source: 'project'}
  if (config.current) return {name: config.current, source: 'file'}
  return {}
}

export function getContext(config: RdcConfig, name: string): Context {
  const context = config.contexts[name]
  if (!context) {
    throw new NotFoundError(`No context named "${name}".`, {
      suggestion: suggestName(name, Object.keys(config.contexts), 'context', `Create it: rdc context create ${name}`),
    })
  }
  return context
}

export function getMachine(config: RdcConfig, contextName: string, name: string): Machine {
  const machines = getContext(config, contextName).machines
  const machine = machines[name]
  if (!machine) {
    throw new NotFoundError(`No machine named "${name}" in context "${contextName}".`, {
      suggestion: suggestName(name, Object.keys(machines), 'machine', `Add it: rdc context add-machine ${name} --host <address> --user <user>`),
    })
  }
  return machine
}

export async function resolveContext(opts: ResolveOptions): Promise<{store: ConfigStore; contextName: string; context: Context}> {
  const store = new ConfigStore(configPath(opts.configPath))
  const config = await store.read()
  const {name} = await chooseContextName(config, opts)
  if (!name) {
    const known = Object.keys(config.contexts)
    throw new UsageError('No context selected.', {
      field: '--context',
      suggestion: known.length > 0 ? `Pick one: rdc context use ${known[0]} (or pass --context).` : 'Create one: rdc context create production',
    })
  }
  return {store, contextName: name, context: getContext(config, name)}
}

export async function resolveMachine(opts: ResolveOptions & {machine?: string}): Promise<{
  store: ConfigStore
  contextName: string
  machineName: string
  machine: Machine
  context: Context
}> {
  const resolved = await resolveContext(opts)
  const machineName = opts.machine || process.env.RDC_MACHINE || (await findProjectConfig())?.machine
  if (!machineName) {
    throw new UsageError('No machine given.', {
      field: 'machine',
      suggestion: `Name one as the argument (machines: ${Object.keys(resolved.context.machines).join(', ') || 'none yet'}), or set RDC_MACHINE.`,
    })
  }
  const config = {version: 1, contexts: {[resolved.contextName]: resolved.context}} as RdcConfig
  return {...resolved, machineName, machine: getMachine(config, resolved.contextName, machineName)}
}
