import {BaseCommand} from '../../base-command.js'
import {type ContextSummary, listContexts} from '../../config/contexts.js'
import {configPath} from '../../config/paths.js'
import {ConfigStore} from '../../config/store.js'
import {table} from '../../output/format.js'

export default class ContextList extends BaseCommand<typeof ContextList> {
  static override summary = 'List contexts; the current one is marked with *.'
  static override examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --json']

  async run(): Promise<ContextSummary[]> {
    const contexts = await listContexts(new ConfigStore(configPath(this.flags.config)))
    if (contexts.length === 0) this.log('No contexts yet. Create one: rdc context create production')
    else
      this.log(
        table(contexts, [
          {header: '', get: (c) => (c.current ? '*' : ' ')},
          {header: 'name', get: (c) => c.name},
          {header: 'machines', get: (c) => c.machines},
          {header: 'repositories', get: (c) => c.repositories},
        ]),
      )
    return contexts
  }
}
