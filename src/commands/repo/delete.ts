import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {RepoDeleteResult} from '../../deploy/delete.js'

export default class RepoDelete extends BaseCommand<typeof RepoDelete> {
  static override summary = 'Remove a repository from the context (refused while its containers run).'
  static override description =
    "Connects to the repository's machine to check that none of its containers runs. Its files, image and daemon data stay on the server unless --purge is given; --force skips the server (for a machine that no longer exists)."
  static override examples = ['<%= config.bin %> <%= command.id %> webapp', '<%= config.bin %> <%= command.id %> webapp --purge']
  static override args = {name: Args.string({description: 'Repository name.', required: true, ignoreStdin: true})}
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Its machine (checked against the record).'}),
    purge: Flags.boolean({description: 'Also delete its files, image and daemon data on the server.'}),
    force: Flags.boolean({description: 'Remove only the record, without asking the server (for a machine that is gone).', exclusive: ['purge']}),
  }

  async run(): Promise<RepoDeleteResult> {
    const {resolveRepository} = await import('../../deploy/repositories.js')
    const {repoDelete} = await import('../../deploy/delete.js')
    const {connectMachine} = await import('../../remote/connect.js')
    const target = await resolveRepository({configPath: this.flags.config, contextName: this.flags.context, name: this.args.name, machine: this.flags.machine})
    const result = await repoDelete({target, purge: this.flags.purge, force: this.flags.force, connect: () => connectMachine(target.machineName, target.machine, target.context)})
    this.log(`Repository "${result.repository}" removed from the context${result.purged ? ` and its data from ${result.machine}` : ` (its data stays on ${result.machine}: ${target.location.path})`}.`)
    return result
  }
}
