import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {MachineShellResult} from '../../remote/machine-shell.js'

export default class ContextSsh extends BaseCommand<typeof ContextSsh> {
  static override summary = 'Open a shell on a machine (or run one command there) over SSH with its pinned host key.'
  static override description =
    "Runs the system's ssh with a known_hosts file of its own that holds only the machine's pinned key (StrictHostKeyChecking=yes): your ~/.ssh/known_hosts is neither read nor changed, and a changed key is refused (exit 5) before anything runs. " +
    "The exit code is the remote command's (ssh's 255 when the connection fails). With --json the command's output goes to stderr and stdout is the summary."
  static override examples = ['<%= config.bin %> <%= command.id %> server-1', '<%= config.bin %> <%= command.id %> server-1 -- journalctl -u rediacc-router -n 50']

  static override strict = false
  static override args = {machine: Args.string({description: 'Machine name (default: RDC_MACHINE or the project config).', ignoreStdin: true})}
  static override flags = {
    tty: Flags.boolean({char: 't', description: 'Ask for a terminal even when running a command (as ssh -t).'}),
  }

  async run(): Promise<MachineShellResult> {
    const {resolveMachine} = await import('../../config/resolve.js')
    const {machineShell} = await import('../../remote/machine-shell.js')
    const {argv} = await this.parse(ContextSsh)
    const command = (argv as string[]).slice(this.args.machine === undefined ? 0 : 1)
    const {machineName, machine, context} = await resolveMachine({configPath: this.flags.config, context: this.flags.context, machine: this.args.machine})
    const json = this.jsonEnabled()
    const result = await machineShell({
      machineName,
      machine,
      context,
      command,
      tty: this.flags.tty,
      // With --json, stdout is the summary: the remote output goes to stderr.
      ...(json ? {stdio: ['inherit', 'pipe', 'inherit'] as ['inherit', 'pipe', 'inherit'], onStdout: (c: Buffer) => process.stderr.write(c)} : {}),
    })
    // The remote command's own exit code, as ssh passes it on.
    return this.answer(result, result.exitCode === 0 ? undefined : result.exitCode)
  }
}
