import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {deleteContext} from '../../config/contexts.js'
import {configPath} from '../../config/paths.js'
import {ConfigStore} from '../../config/store.js'

export default class ContextDelete extends BaseCommand<typeof ContextDelete> {
  static override summary = 'Delete a context from the file (nothing on any server changes).'
  static override examples = ['<%= config.bin %> context delete staging', '<%= config.bin %> context delete old --force']
  static override args = {name: Args.string({description: 'Context name.', required: true, ignoreStdin: true})}
  static override flags = {force: Flags.boolean({description: 'Delete even if it still has machines.'})}

  async run(): Promise<{name: string; machines: number; wasCurrent: boolean}> {
    const result = await deleteContext(new ConfigStore(configPath(this.flags.config)), this.args.name, {force: this.flags.force})
    this.log(`Deleted context "${result.name}"${result.machines ? ` and its ${result.machines} machine(s)` : ''}.${result.wasCurrent ? ' No context is current now.' : ''}`)
    return result
  }
}
