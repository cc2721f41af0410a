import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {RepoLogsResult} from '../../deploy/inside.js'

export default class RepoLogs extends BaseCommand<typeof RepoLogs> {
  static override summary = "Show a repository's container logs, through its own Docker daemon."
  static override description =
    'SERVICE is a service name as in the compose file; without it every container of the repository is shown, each line prefixed by its service. ' +
    'With --follow, new lines keep coming until Ctrl-C, which ends the follow on the server too and exits 0. With --json the log lines go to stderr and stdout is the summary.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> webapp',
    '<%= config.bin %> <%= command.id %> webapp webapp -f --since 10m',
    '<%= config.bin %> <%= command.id %> webapp postgres --tail 100',
  ]

  static override args = {
    name: Args.string({description: 'Repository name.', required: true, ignoreStdin: true}),
    service: Args.string({description: 'Service name as in the compose file (default: every container).', ignoreStdin: true}),
  }

  static override flags = {
    machine: Flags.string({char: 'm', description: 'Its machine (default: the one it was created on).'}),
    follow: Flags.boolean({char: 'f', description: 'Keep printing new lines until Ctrl-C.'}),
    since: Flags.string({description: "Only lines since this time: a duration (10m, 2h) or a timestamp, as Docker's --since.", helpValue: 'WHEN'}),
    tail: Flags.integer({description: 'Only the last N lines of each container.', min: 0, helpValue: 'N'}),
  }

  async run(): Promise<RepoLogsResult> {
    const {resolveRepository} = await import('../../deploy/repositories.js')
    const {repoLogs, checkSince} = await import('../../deploy/inside.js')
    const {connectMachine} = await import('../../remote/connect.js')
    if (this.flags.since !== undefined) checkSince(this.flags.since)
    const target = await resolveRepository({configPath: this.flags.config, contextName: this.flags.context, name: this.args.name, machine: this.flags.machine})
    const json = this.jsonEnabled()
    const controller = new AbortController()
    const onSignal = (): void => controller.abort()
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
    try {
      return await repoLogs({
        target,
        connect: () => connectMachine(target.machineName, target.machine, target.context),
        ...(this.args.service === undefined ? {} : {service: this.args.service}),
        follow: this.flags.follow,
        ...(this.flags.since === undefined ? {} : {since: this.flags.since}),
        ...(this.flags.tail === undefined ? {} : {tail: this.flags.tail}),
        stdout: (c) => (json ? process.stderr : process.stdout).write(c),
        stderr: (c) => process.stderr.write(c),
        signal: controller.signal,
      })
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    }
  }
}
