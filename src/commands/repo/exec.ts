import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {RepoExecResult} from '../../deploy/inside.js'

export default class RepoExec extends BaseCommand<typeof RepoExec> {
  static override summary = "Run a command in a service's container, through the repository's own Docker daemon."
  static override description =
    "The command's exit code is rdc's. Standard input is streamed to it; when both rdc's input and output are terminals the command gets a terminal too (docker exec -it over an SSH PTY), so `-- sh` is an interactive shell. " +
    "With --json the command's output goes to stderr and stdout is the summary, with its exit code."
  static override examples = [
    '<%= config.bin %> <%= command.id %> webapp webapp -- sh',
    '<%= config.bin %> <%= command.id %> webapp postgres -- ls -l /var/lib/postgresql/data',
    'echo "select 1" | <%= config.bin %> <%= command.id %> webapp postgres -- psql -U app webapp',
  ]

  static override strict = false
  static override args = {
    name: Args.string({description: 'Repository name.', required: true, ignoreStdin: true}),
    service: Args.string({description: 'Service name as in the compose file.', required: true, ignoreStdin: true}),
  }

  static override flags = {
    machine: Flags.string({char: 'm', description: 'Its machine (default: the one it was created on).'}),
  }

  async run(): Promise<RepoExecResult> {
    const {resolveRepository} = await import('../../deploy/repositories.js')
    const {repoExec} = await import('../../deploy/inside.js')
    const {connectMachine} = await import('../../remote/connect.js')
    const {terminalFor} = await import('../../deploy/terminal.js')
    const {argv} = await this.parse(RepoExec)
    const command = (argv as string[]).slice(2)
    const target = await resolveRepository({configPath: this.flags.config, contextName: this.flags.context, name: this.args.name, machine: this.flags.machine})
    const json = this.jsonEnabled()
    const terminal = terminalFor(json)
    try {
      const result = await repoExec({
        target,
        connect: () => connectMachine(target.machineName, target.machine, target.context),
        service: this.args.service,
        command,
        stdin: terminal.stdin,
        ...(terminal.pty ? {pty: terminal.pty, onResize: terminal.onResize} : {}),
        stdout: (c) => (json ? process.stderr : process.stdout).write(c),
        stderr: (c) => process.stderr.write(c),
      })
      // The remote command's own exit code, as ssh passes it on.
      return this.answer(result, result.exitCode === 0 ? undefined : result.exitCode)
    } finally {
      terminal.restore()
    }
  }
}
