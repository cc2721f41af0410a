import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {resolveMachine} from '../../config/resolve.js'
import {createRepository, type RepositorySummary} from '../../deploy/repositories.js'
import {keyValues} from '../../output/format.js'

export default class RepoCreate extends BaseCommand<typeof RepoCreate> {
  static override summary = 'Record a repository in the context and give it a network id on its machine.'
  static override description =
    'Offline: nothing is sent until `rdc repo up`. The network id is the lowest free one on the machine (2816 + 64·n); its services get the addresses of that /26 of 127.0.0.0/8. ' +
    'With --size the repository lives in a sparse ext4 image on the datastore, made and mounted by the first `rdc repo up --mount`.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> webapp -m server-1 --path ./webapp',
    '<%= config.bin %> <%= command.id %> mail -m server-1 --path ./mail --size 2G',
  ]

  static override args = {name: Args.string({description: 'Repository name: a-z, 0-9 and inner hyphens.', required: true, ignoreStdin: true})}
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Machine it runs on (default: RDC_MACHINE, the project config).'}),
    path: Flags.string({description: 'Local folder with the Rediaccfile and compose file (default: the current folder).', helpValue: 'DIR'}),
    size: Flags.string({description: 'Make it image-backed: a sparse ext4 image of this size, 16M to 16T (the largest file ext4 holds), e.g. 2G.'}),
  }

  async run(): Promise<RepositorySummary & {context: string}> {
    const {store, contextName, machineName} = await resolveMachine({configPath: this.flags.config, context: this.flags.context, machine: this.flags.machine})
    const created = await createRepository({store, contextName, name: this.args.name, machine: machineName, path: this.flags.path ?? '.', size: this.flags.size})
    this.log(`Repository "${created.name}" created in context "${created.context}".`)
    this.log(keyValues([['machine', created.machine], ['network id', created.networkId], ['addresses', created.network], ['local folder', created.path], ['image size', created.size]]))
    return created
  }
}
