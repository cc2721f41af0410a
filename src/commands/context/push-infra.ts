import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {EXIT_CODES, UsageError} from '../../errors.js'
import type {PushSummary} from '../../infra/push/run.js'

export default class PushInfra extends BaseCommand<typeof PushInfra> {
  static override summary = "Render each machine's Traefik and route server setup and push it over SSH."
  static override description =
    'Compares the rendered files with what each server has and uploads only what changed (atomically, with backups), restarts only the services whose files changed, waits for them to be healthy and restores the previous set if they are not. --dry-run shows the plan and a diff; --out writes the files locally without connecting.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> server-1',
    '<%= config.bin %> <%= command.id %> --all --concurrency 8',
    '<%= config.bin %> <%= command.id %> server-1 --dry-run',
    '<%= config.bin %> <%= command.id %> server-1 --out ./rendered',
    '<%= config.bin %> <%= command.id %> --all --check   # CI/cron: exit 12 when a machine differs',
  ]

  static override strict = false
  static override args = {machines: Args.string({description: 'Machines to push to (or --all; none: RDC_MACHINE or the project file).', ignoreStdin: true})}
  static override flags = {
    all: Flags.boolean({description: 'Push to every machine of the context.'}),
    'dry-run': Flags.boolean({description: 'Show the plan and a diff (secrets masked); change nothing.'}),
    out: Flags.string({
      description: "Write the rendered files under DIR in the server's layout (DIR/<machine>/… for several); connect to nothing.",
      helpValue: 'DIR',
      exclusive: ['dry-run', 'install-prereqs'],
    }),
    'install-prereqs': Flags.boolean({description: 'Install missing Docker, docker-compose, Node.js and curl with apt.'}),
    concurrency: Flags.integer({description: 'Machines pushed in parallel.', default: 4, min: 1, max: 64}),
    check: Flags.boolean({
      description:
        'Change nothing: show the diff of each machine that differs from what a push would make and exit 12 (infraDrift) if any does, 0 if all match (CI, cron).',
    }),
    'token-check': Flags.boolean({
      allowNo: true,
      default: true,
      description: "Check each machine's Cloudflare token before changing it (active, the base domain's zone visible, DNS records editable); --no-token-check skips it, for offline work.",
    }),
  }

  async run(): Promise<unknown> {
    const {runPushInfra} = await import('../../infra/push/command.js')
    const {argv} = await this.parse(PushInfra)
    const machines = argv as string[]
    if (this.flags.check) {
      const other = (['dry-run', 'out', 'install-prereqs'] as const).find((f) => this.flags[f] !== undefined && this.flags[f] !== false)
      if (other) throw new UsageError(`--check cannot be used with --${other}: it already changes nothing and shows the diff.`, {field: '--check', suggestion: 'Leave one of them out.'})
      const {runPushCheck} = await import('../../infra/push/check.js')
      const {result, error} = await runPushCheck({machines, all: this.flags.all, concurrency: this.flags.concurrency, configPath: this.flags.config, contextName: this.flags.context, json: this.jsonEnabled(), log: (line) => this.log(line)})
      return this.resultOrThrow(result, error)
    }

    const result = await runPushInfra({
      machines,
      all: this.flags.all,
      dryRun: this.flags['dry-run'],
      out: this.flags.out,
      installPrereqs: this.flags['install-prereqs'],
      concurrency: this.flags.concurrency,
      check: this.flags['token-check'],
      configPath: this.flags.config,
      contextName: this.flags.context,
      json: this.jsonEnabled(),
      log: (line) => this.log(line),
    })
    // The per-machine report (printed, or the JSON answer) already says what failed and how to fix it.
    const failed = 'machines' in result && !(result as PushSummary).ok
    return this.answer(result, failed ? EXIT_CODES.failure.code : undefined)
  }
}
