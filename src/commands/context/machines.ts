import {BaseCommand} from '../../base-command.js'
import {listMachines, type MachineSummary} from '../../config/machines.js'
import {resolveContext} from '../../config/resolve.js'
import {table} from '../../output/format.js'

export default class ContextMachines extends BaseCommand<typeof ContextMachines> {
  static override summary = 'List the machines of the context.'
  static override examples = ['<%= config.bin %> context machines', '<%= config.bin %> context machines --context staging --json']

  async run(): Promise<MachineSummary[]> {
    const {context, contextName} = await resolveContext({configPath: this.flags.config, context: this.flags.context})
    const machines = listMachines(context)
    if (machines.length === 0) this.log(`Context "${contextName}" has no machines. Add one: rdc context add-machine server-1 --host <address> --user <user>`)
    else
      this.log(
        table(machines, [
          {header: 'name', get: (m) => m.name},
          {header: 'address', get: (m) => `${m.user}@${m.host}:${m.port}`},
          {header: 'base domain', get: (m) => m.baseDomain},
          {header: 'host key', get: (m) => m.fingerprint},
        ]),
      )
    return machines
  }
}
