import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {listMachines, type MachineSummary} from '../../config/machines.js'
import {resolveContext} from '../../config/resolve.js'
import {keyValues, section, table} from '../../output/format.js'

interface ContextView {
  name: string
  privateKeyPath?: string
  machines: MachineSummary[]
  repositories: Array<{name: string; machine: string; networkId: number}>
}

export default class ContextShow extends BaseCommand<typeof ContextShow> {
  static override summary = 'Show a context: its SSH settings, machines and repositories.'
  static override description = 'Infra secrets are never shown; see show-infra for a machine’s settings (masked).'
  static override examples = ['<%= config.bin %> context show', '<%= config.bin %> context show production --json']
  static override args = {name: Args.string({description: 'Context name (default: the selected context).', ignoreStdin: true})}

  async run(): Promise<ContextView> {
    const {contextName, context} = await resolveContext({configPath: this.flags.config, context: this.args.name ?? this.flags.context})
    const view: ContextView = {
      name: contextName,
      privateKeyPath: context.ssh.privateKeyPath,
      machines: listMachines(context),
      repositories: Object.entries(context.repositories).map(([name, r]) => ({name, machine: r.machine, networkId: r.networkId})),
    }
    this.log(keyValues([['context', view.name], ['ssh key', view.privateKeyPath ?? 'ssh-agent / ~/.ssh/config']]))
    this.log(section('machines', view.machines.length ? table(view.machines, [{header: 'name', get: (m) => m.name}, {header: 'address', get: (m) => `${m.user}@${m.host}:${m.port}`}, {header: 'host key', get: (m) => m.fingerprint}]) : 'none'))
    this.log(section('repositories', view.repositories.length ? table(view.repositories, [{header: 'name', get: (r) => r.name}, {header: 'machine', get: (r) => r.machine}, {header: 'network id', get: (r) => r.networkId}]) : 'none'))
    return view
  }
}
