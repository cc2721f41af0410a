import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {type Context, configSchema} from '../config/schema.js'
import {ConfigError, NotFoundError, UsageError} from '../errors.js'
import type {PushTarget} from './push.js'

/**
 * Machines for push-infra from the context file: a read-only bridge until the config store's resolver is used
 * here (it validates the same schema; this never writes the file).
 */
export interface TargetQuery {
  configPath?: string
  contextName?: string
  machines: string[]
  all?: boolean
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.RDC_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'rediacc', 'config.yaml')
}

export async function loadPushTargets(query: TargetQuery): Promise<{contextName: string; context: Context; targets: PushTarget[]}> {
  if (query.machines.length === 0 && !query.all) {
    throw new UsageError('Name the machines to push to, or use --all.', {field: 'machines', suggestion: 'rdc context push-infra server-1 (or --all)'})
  }

  if (query.machines.length > 0 && query.all) {
    throw new UsageError('Give machine names or --all, not both.', {field: 'all'})
  }

  const path = query.configPath ?? defaultConfigPath()
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`Cannot read the context file ${path}: ${err.code ?? err.message}.`, {suggestion: 'Create a context first: rdc context create <name>'})
  })
  const {parse} = await import('yaml')
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    throw new ConfigError(`The context file ${path} is not valid YAML: ${(err as Error).message}`)
  }

  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(`The context file ${path} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }

  const contextName = query.contextName ?? parsed.data.current
  if (!contextName) throw new UsageError('No context selected.', {field: 'context', suggestion: 'Pass --context <name> or run rdc context use <name>'})
  const context = parsed.data.contexts[contextName]
  if (!context) throw new NotFoundError(`No context named '${contextName}' in ${path}.`, {suggestion: 'rdc context list'})
  const names = query.all ? Object.keys(context.machines) : query.machines
  if (names.length === 0) throw new NotFoundError(`Context '${contextName}' has no machines.`, {suggestion: 'rdc context add-machine <name> …'})
  const targets = names.map((machineName) => {
    const machine = context.machines[machineName]
    if (!machine) throw new NotFoundError(`No machine named '${machineName}' in context '${contextName}'.`, {suggestion: `Known: ${Object.keys(context.machines).join(', ') || 'none'}`})
    return {machineName, machine}
  })
  return {contextName, context, targets}
}
