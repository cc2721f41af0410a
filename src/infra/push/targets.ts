import {getMachine, resolveContext, resolveMachine} from '../../config/resolve.js'
import type {Context, RdcConfig} from '../../config/schema.js'
import {UsageError} from '../../errors.js'
import type {PushTarget} from './run.js'

export interface TargetQuery {
  configPath?: string
  /** The --context flag. */
  contextName?: string
  machines: string[]
  all?: boolean
}

/**
 * The machines a push goes to, resolved the way every command resolves them: the context by flag, RDC_CONTEXT,
 * project file or `current`; named machines (did-you-mean on a typo), `--all`, or with neither the default
 * machine (RDC_MACHINE or the project file).
 */
export async function resolvePushTargets(query: TargetQuery): Promise<{contextName: string; context: Context; targets: PushTarget[]}> {
  if (query.machines.length > 0 && query.all) {
    throw new UsageError('Give machine names or --all, not both.', {field: 'all', suggestion: 'rdc context push-infra server-1 server-2 (or --all)'})
  }

  const base = {configPath: query.configPath, context: query.contextName}
  if (query.machines.length === 0 && !query.all) {
    const {contextName, context, machineName, machine} = await resolveMachine(base)
    return {contextName, context, targets: [{machineName, machine}]}
  }

  const {contextName, context} = await resolveContext(base)
  const names = query.all ? Object.keys(context.machines) : [...new Set(query.machines)]
  if (names.length === 0) {
    throw new UsageError(`Context "${contextName}" has no machines.`, {field: 'all', suggestion: 'Add one: rdc context add-machine <name> --host <address> --user <user>'})
  }

  const config = {version: 1, contexts: {[contextName]: context}} as RdcConfig
  return {contextName, context, targets: names.map((machineName) => ({machineName, machine: getMachine(config, contextName, machineName)}))}
}
