import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {createContext} from '../../config/contexts.js'
import {configPath} from '../../config/paths.js'
import {ConfigStore} from '../../config/store.js'

export default class ContextCreate extends BaseCommand<typeof ContextCreate> {
  static override summary = 'Create a context (a named set of machines).'
  static override description = 'The first context created becomes the current one; --use makes any new context current.'
  static override examples = ['<%= config.bin %> context create production', '<%= config.bin %> context create staging --use']
  static override args = {name: Args.string({description: 'Context name: a-z, 0-9 and inner hyphens.', required: true, ignoreStdin: true})}
  static override flags = {use: Flags.boolean({description: 'Make it the current context.'})}

  async run(): Promise<{name: string; current: boolean}> {
    const result = await createContext(new ConfigStore(configPath(this.flags.config)), this.args.name, {use: this.flags.use})
    this.log(`Created context "${result.name}"${result.current ? ' (current)' : ''}.`)
    return result
  }
}
