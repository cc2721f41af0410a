import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {removeMachine} from '../../config/machines.js'
import {resolveMachine} from '../../config/resolve.js'

export default class ContextRemoveMachine extends BaseCommand<typeof ContextRemoveMachine> {
  static override summary = 'Remove a machine from the context (nothing on the server changes).'
  static override examples = ['<%= config.bin %> context remove-machine server-1']
  static override args = {machine: Args.string({description: 'Machine name.', required: true, ignoreStdin: true})}

  async run(): Promise<{machine: string; context: string}> {
    const {store, contextName, machineName} = await resolveMachine({configPath: this.flags.config, context: this.flags.context, machine: this.args.machine})
    const {machine, context} = await removeMachine({store, contextName, machineName})
    this.log(`Removed machine "${machine}" from context "${context}".`)
    return {machine, context}
  }
}
