import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {scanKeys} from '../../config/machines.js'
import {resolveMachine} from '../../config/resolve.js'
import {keyValues} from '../../output/format.js'

export default class ContextScanKeys extends BaseCommand<typeof ContextScanKeys> {
  static override summary = 'Read a machine’s SSH host key again and pin it (after a deliberate rebuild).'
  static override description = 'Only do this when you know why the key changed: a changed key you did not expect means someone may be in between.'
  static override examples = ['<%= config.bin %> context scan-keys server-1']
  static override args = {machine: Args.string({description: 'Machine name (default: RDC_MACHINE or the project config).', ignoreStdin: true})}

  async run(): Promise<{machine: string; oldFingerprint?: string; newFingerprint: string; changed: boolean}> {
    const {store, contextName, machineName} = await resolveMachine({configPath: this.flags.config, context: this.flags.context, machine: this.args.machine})
    const result = await scanKeys({store, contextName, machineName})
    this.log(result.changed ? `Pinned a new host key for "${machineName}".` : `The host key of "${machineName}" is unchanged.`)
    this.log(keyValues([['old', result.oldFingerprint ?? 'none'], ['new', result.newFingerprint]]))
    return result
  }
}
