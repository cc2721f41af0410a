import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {lockWaitFlag} from '../../deploy/lock-flag.js'
import type {RepoDownResult} from '../../deploy/down.js'

export default class RepoDown extends BaseCommand<typeof RepoDown> {
  static override summary = "Stop a repository: the Rediaccfiles' down (Z→A, best effort), then its daemon."
  static override description =
    'Every Rediaccfile down runs even when an earlier one failed, and the daemon is stopped in any case; the exit code says whether every down succeeded. --unmount then detaches an image-backed repository.'
  static override examples = ['<%= config.bin %> <%= command.id %> webapp -m server-1', '<%= config.bin %> <%= command.id %> mail --unmount']
  static override args = {name: Args.string({description: 'Repository name.', required: true, ignoreStdin: true})}
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Its machine (default: the one it was created on).'}),
    unmount: Flags.boolean({description: 'Image-backed repository: unmount its image and detach the loop device afterwards.'}),
    'lock-wait': lockWaitFlag,
  }

  async run(): Promise<RepoDownResult> {
    const {resolveRepository} = await import('../../deploy/repositories.js')
    const {repoDown} = await import('../../deploy/down.js')
    const {connectMachine} = await import('../../remote/connect.js')
    const {liveOutput} = await import('../../deploy/format.js')
    const target = await resolveRepository({configPath: this.flags.config, contextName: this.flags.context, name: this.args.name, machine: this.flags.machine})
    const json = this.jsonEnabled()
    const {result, error} = await repoDown({
      target,
      unmount: this.flags.unmount,
      lockWaitSeconds: this.flags['lock-wait'],
      connect: () => connectMachine(target.machineName, target.machine, target.context),
      live: liveOutput(json),
      progress: this.progress(),
    })
    this.resultOrThrow(result, error)
    this.log(`${result.machine}: ${result.repository} is down${result.note ? ` (${result.note})` : ''}; ${target.location.unit} stopped${result.unmounted ? `, ${target.location.path} unmounted` : ''}.`)
    return result
  }
}
