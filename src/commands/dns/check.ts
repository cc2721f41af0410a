import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {allFlag, dnsSelection, machinesArgs} from '../../dns/command-input.js'
import type {DnsPlanResult} from '../../dns/service.js'

export default class DnsCheck extends BaseCommand<typeof DnsCheck> {
  static override summary = 'Exit 9 when Cloudflare’s records differ from the plan (for CI and cron); changes nothing.'
  static override description =
    'The plan of rdc dns plan; exits 0 when every record is in place, 9 when a record is missing, points elsewhere, is proxied, or its name is held by another record. With --prune, records rdc made that no route needs any more count too. --json returns the plan either way.'

  static override examples = ['<%= config.bin %> <%= command.id %> --all', '<%= config.bin %> <%= command.id %> server-1 --prune --json']

  static override strict = false
  static override args = machinesArgs
  static override flags = {
    all: allFlag,
    prune: Flags.boolean({description: 'Records rdc made that no route needs any more count as a difference.'}),
  }

  async run(): Promise<DnsPlanResult> {
    const {checkDns} = await import('../../dns/service.js')
    const {argv} = await this.parse(DnsCheck)
    const {result, error} = await checkDns({
      ...dnsSelection(argv, this.flags, this.progress()),
      prune: this.flags.prune,
    })
    if (!this.jsonEnabled()) {
      const {formatPlan} = await import('../../dns/format.js')
      this.log(formatPlan(result, 'Check'))
    }
    return this.resultOrThrow(result, error)
  }
}
