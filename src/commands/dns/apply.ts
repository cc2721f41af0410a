import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {allFlag, dnsSelection, machinesArgs} from '../../dns/command-input.js'
import type {DnsApplyResult} from '../../dns/service.js'

export default class DnsApply extends BaseCommand<typeof DnsApply> {
  static override summary = 'Make the DNS records each machine needs at Cloudflare (see rdc dns plan).'
  static override description =
    'Creates and corrects the records of the plan, DNS-only (not proxied) and marked as rdc’s in their comment. A name held by a record rdc did not make is left alone and reported (exit 8) unless --adopt takes it over; records rdc made that no route needs any more are removed only with --prune. ' +
    'Stops at the first refusal from Cloudflare (exit 10, naming the permission or the problem); running it again converges.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> server-1',
    '<%= config.bin %> <%= command.id %> --all --prune',
    '<%= config.bin %> <%= command.id %> server-1 --adopt   # take over app.example.com from a hand-made record',
  ]

  static override strict = false
  static override args = machinesArgs
  static override flags = {
    all: allFlag,
    adopt: Flags.boolean({description: 'Take over names held by records rdc did not make (their content is changed to the machine and they are marked).'}),
    prune: Flags.boolean({description: 'Remove records rdc made for these machines that no route needs any more.'}),
  }

  async run(): Promise<DnsApplyResult> {
    const {applyDns} = await import('../../dns/service.js')
    const {argv} = await this.parse(DnsApply)
    const {result, error} = await applyDns({
      ...dnsSelection(argv, this.flags, this.progress()),
      adopt: this.flags.adopt,
      prune: this.flags.prune,
    })
    if (!this.jsonEnabled()) {
      const {formatApply} = await import('../../dns/format.js')
      this.log(formatApply(result))
    }
    return this.resultOrThrow(result, error)
  }
}
