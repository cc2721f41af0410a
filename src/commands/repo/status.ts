import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {RepoStatusResult} from '../../deploy/status.js'

export default class RepoStatus extends BaseCommand<typeof RepoStatus> {
  static override summary = 'Show a repository: its services and IPs, container states and routes.'
  static override description = "Services come from the server's .rediacc.json, containers from the repository's daemon, routes from the route server (/routes.json)."
  static override examples = ['<%= config.bin %> <%= command.id %> webapp -m server-1', '<%= config.bin %> <%= command.id %> webapp --json']
  static override args = {name: Args.string({description: 'Repository name.', required: true, ignoreStdin: true})}
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Its machine (default: the one it was created on).'}),
  }

  async run(): Promise<RepoStatusResult> {
    const {resolveRepository} = await import('../../deploy/repositories.js')
    const {repoStatus} = await import('../../deploy/status.js')
    const {connectMachine} = await import('../../remote/connect.js')
    const {formatStatus} = await import('../../deploy/format.js')
    const target = await resolveRepository({configPath: this.flags.config, contextName: this.flags.context, name: this.args.name, machine: this.flags.machine})
    const result = await repoStatus({target, connect: () => connectMachine(target.machineName, target.machine, target.context)})
    this.log(formatStatus(result))
    return result
  }
}
