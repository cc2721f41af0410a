import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {renameContext} from '../../config/contexts.js'
import {configPath} from '../../config/paths.js'
import {ConfigStore} from '../../config/store.js'

export default class ContextRename extends BaseCommand<typeof ContextRename> {
  static override summary = 'Rename a context (the current context follows it).'
  static override examples = ['<%= config.bin %> context rename prod production']
  static override args = {
    name: Args.string({description: 'Current name.', required: true, ignoreStdin: true}),
    'new-name': Args.string({description: 'New name.', required: true, ignoreStdin: true}),
  }

  async run(): Promise<{from: string; to: string; current: boolean}> {
    const result = await renameContext(new ConfigStore(configPath(this.flags.config)), this.args.name, this.args['new-name'])
    this.log(`Renamed context "${result.from}" to "${result.to}".`)
    return result
  }
}
