import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {allFlag, dnsSelection, machinesArgs} from '../../dns/command-input.js'
import type {DnsPlanResult} from '../../dns/service.js'

export default class DnsPlan extends BaseCommand<typeof DnsPlan> {
  static override summary = 'Show the DNS records each machine needs at Cloudflare, against what the zone holds; changes nothing.'
  static override description =
    'Per machine: the wildcard *.<base domain> (A to the public IPv4, AAAA to the public IPv6) for its automatic routes, and a record of its own for every Host() name of its routes (read from the route server over SSH) that the wildcard does not answer. ' +
    'Each record is compared with the zone: to create, to change, up to date, held by a record rdc did not make (a conflict: --adopt takes it over), or made by rdc but no longer needed (--prune removes it). ' +
    'rdc marks the records it makes in their Cloudflare comment and never touches others. Cloudflare’s API is the one in the machine’s proxy environment (CLOUDFLARE_BASE_URL), else api.cloudflare.com.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> server-1',
    '<%= config.bin %> <%= command.id %> --all --json',
    '<%= config.bin %> <%= command.id %> server-1 --adopt --prune   # what apply would do with those flags',
  ]

  static override strict = false
  static override args = machinesArgs
  static override flags = {
    all: allFlag,
    adopt: Flags.boolean({description: 'Plan to take over names held by records rdc did not make.'}),
    prune: Flags.boolean({description: 'Plan to remove records rdc made that no route needs any more.'}),
  }

  async run(): Promise<DnsPlanResult> {
    const {planDns} = await import('../../dns/service.js')
    const {argv} = await this.parse(DnsPlan)
    const result = await planDns({
      ...dnsSelection(argv, this.flags, this.progress()),
      adopt: this.flags.adopt,
      prune: this.flags.prune,
    })
    if (!this.jsonEnabled()) {
      const {formatPlan} = await import('../../dns/format.js')
      this.log(formatPlan(result))
    }
    return result
  }
}
