import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {useContext} from '../../config/contexts.js'
import {configPath} from '../../config/paths.js'
import {ConfigStore} from '../../config/store.js'

export default class ContextUse extends BaseCommand<typeof ContextUse> {
  static override summary = 'Make a context the current one.'
  static override description = 'RDC_CONTEXT, --context and a project config (.rdcrc) still take precedence over the current context.'
  static override examples = ['<%= config.bin %> context use production']
  static override args = {name: Args.string({description: 'Context name.', required: true, ignoreStdin: true})}

  async run(): Promise<{name: string; previous?: string}> {
    const result = await useContext(new ConfigStore(configPath(this.flags.config)), this.args.name)
    this.log(`Current context: ${result.name}${result.previous && result.previous !== result.name ? ` (was ${result.previous})` : ''}.`)
    return result
  }
}
