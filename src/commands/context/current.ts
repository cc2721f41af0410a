import {BaseCommand} from '../../base-command.js'
import {configPath} from '../../config/paths.js'
import {chooseContextName, getContext, type NameSource} from '../../config/resolve.js'
import {ConfigStore} from '../../config/store.js'
import {UsageError} from '../../errors.js'

const FROM: Record<NameSource, string> = {flag: '--context / RDC_CONTEXT', env: 'RDC_CONTEXT', project: 'project config', file: 'current context in the file'}

export default class ContextCurrent extends BaseCommand<typeof ContextCurrent> {
  static override summary = 'Show which context commands will use, and why.'
  static override examples = ['<%= config.bin %> context current', 'RDC_CONTEXT=staging <%= config.bin %> context current --json']

  async run(): Promise<{name: string; source: NameSource; configPath: string}> {
    const store = new ConfigStore(configPath(this.flags.config))
    const config = await store.read()
    const {name, source} = await chooseContextName(config, {context: this.flags.context})
    if (!name || !source) throw new UsageError('No context selected.', {field: '--context', suggestion: 'Create one (rdc context create production) or pick one (rdc context use NAME).'})
    getContext(config, name)
    this.log(`${name} (from the ${FROM[source]})`)
    return {name, source, configPath: store.path}
  }
}
