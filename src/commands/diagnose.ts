import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT_CODES} from '../errors.js'
import type {DiagnoseReport} from '../diagnose/finding.js'

export default class Diagnose extends BaseCommand<typeof Diagnose> {
  static override summary = 'Walk every hop from DNS to the container and name the one that fails.'
  static override description =
    "Checks, per machine: the local settings; SSH (pinned host key, login); renet and Docker versions; the route server; the proxy container, its entry points and what Traefik loaded against what the route server serves; then per route the backend at its service IP and port, DNS, the certificate and TCP/UDP ports. One line per finding (ok, warn or fail) with the fix. Exits 1 when any hop fails (warnings do not fail); --json returns every finding."

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -m server-1 --host app.example.com',
    '<%= config.bin %> <%= command.id %> -m server-1 -m server-2 --json',
    '<%= config.bin %> <%= command.id %> --repo my-app --resolver 1.1.1.1',
  ]

  static override flags = {
    machine: Flags.string({
      char: 'm',
      description: 'Machine to diagnose; repeat for several (default: the machine of --repo, RDC_MACHINE, the project config, else every machine).',
      multiple: true,
      helpValue: 'NAME',
    }),
    host: Flags.string({description: 'Walk only the routes serving this hostname (and say why none does).', helpValue: 'NAME'}),
    repo: Flags.string({description: "Walk only this repository's routes.", helpValue: 'NAME'}),
    resolver: Flags.string({description: 'DNS server to ask for A/AAAA records (default: the system resolver).', helpValue: 'IP[:PORT]'}),
    timeout: Flags.integer({description: 'SSH connect timeout per machine, in milliseconds.', default: 10_000, min: 500, helpValue: 'MS'}),
  }

  async run(): Promise<DiagnoseReport> {
    const {runDiagnose} = await import('../diagnose/command.js')
    const report = await runDiagnose({
      machines: this.flags.machine ?? [],
      ...(this.flags.host === undefined ? {} : {host: this.flags.host}),
      ...(this.flags.repo === undefined ? {} : {repo: this.flags.repo}),
      ...(this.flags.resolver === undefined ? {} : {resolver: this.flags.resolver}),
      ...(this.flags.config === undefined ? {} : {configPath: this.flags.config}),
      ...(this.flags.context === undefined ? {} : {contextName: this.flags.context}),
      timeoutMs: this.flags.timeout,
    })
    if (!this.jsonEnabled()) {
      const {formatReport} = await import('../diagnose/format.js')
      this.log(formatReport(report))
    }
    // The report is the answer in both modes; the exit code says whether a hop failed.
    return this.answer(report, report.ok ? undefined : EXIT_CODES.failure.code)
  }
}
