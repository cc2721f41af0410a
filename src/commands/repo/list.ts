import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {resolveContext} from '../../config/resolve.js'
import {listRepositories, type RepositorySummary} from '../../deploy/repositories.js'
import {table} from '../../output/format.js'

export default class RepoList extends BaseCommand<typeof RepoList> {
  static override summary = 'List the repositories of the context.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> -m server-1 --json']
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Only the repositories of this machine.'}),
  }

  async run(): Promise<RepositorySummary[]> {
    const {context, contextName} = await resolveContext({configPath: this.flags.config, context: this.flags.context})
    const repos = listRepositories(context, this.flags.machine)
    if (repos.length === 0) this.log(`Context "${contextName}" has no repositories${this.flags.machine ? ` on ${this.flags.machine}` : ''}. Create one: rdc repo create webapp -m <machine> --path ./webapp`)
    else
      this.log(
        table(repos, [
          {header: 'name', get: (r) => r.name},
          {header: 'machine', get: (r) => r.machine},
          {header: 'network id', get: (r) => r.networkId},
          {header: 'addresses', get: (r) => r.network},
          {header: 'size', get: (r) => r.size},
          {header: 'local folder', get: (r) => r.path},
        ]),
      )
    return repos
  }
}
