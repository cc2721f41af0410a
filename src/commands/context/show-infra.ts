import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {entryPointsOf, infraView, type InfraView} from '../../config/infra.js'
import {resolveMachine} from '../../config/resolve.js'
import {LETS_ENCRYPT_STAGING} from '../../config/validate.js'
import {ACME_DEFAULT_CA, ACME_DNS_RESOLVERS} from '../../infra/acme-defaults.js'
import type {EntryPoint} from '../../net/entrypoints.js'
import {keyValues, section, table} from '../../output/format.js'

export default class ContextShowInfra extends BaseCommand<typeof ContextShowInfra> {
  static override summary = 'Show a machine’s infrastructure settings (secrets masked) and the entry points push-infra will create.'
  static override examples = ['<%= config.bin %> context show-infra server-1', '<%= config.bin %> context show-infra server-1 --json']
  static override args = {machine: Args.string({description: 'Machine name (default: RDC_MACHINE or the project config).', ignoreStdin: true})}

  async run(): Promise<{machine: string; context: string; infra: InfraView; entryPoints: EntryPoint[]}> {
    const {contextName, machineName, machine} = await resolveMachine({configPath: this.flags.config, context: this.flags.context, machine: this.args.machine})
    const infra = infraView(machine)
    const entryPoints = entryPointsOf(machine)
    if (!this.jsonEnabled()) {
      const token = infra.cfDnsApiToken ? `${infra.cfDnsApiToken} (${infra.cfDnsApiTokenSource === 'env' ? 'from RDC_CF_DNS_TOKEN' : 'stored'})` : undefined
      this.log(section(`${machineName} (context ${contextName})`, keyValues([
        ['public IPv4', infra.publicIPv4], ['public IPv6', infra.publicIPv6], ['base domain', infra.baseDomain], ['cert e-mail', infra.certEmail],
        ['Cloudflare token', token], ['extra TCP ports', infra.tcpPorts], ['extra UDP ports', infra.udpPorts], ...(infra.proxyImage ? [['proxy image', infra.proxyImage] as const] : []),
        ['ACME CA', infra.acmeCaServer === undefined ? `${ACME_DEFAULT_CA} (default)` : `${infra.acmeCaServer}${infra.acmeCaServer === LETS_ENCRYPT_STAGING ? " (Let's Encrypt staging)" : ''}`],
        ...(infra.acmeCaCertificateList ? [['ACME CA trusts', infra.acmeCaCertificateList.map((c) => `${c.subject} (until ${c.notAfter.slice(0, 10)})`)] as const] : []),
        ['DNS resolvers', infra.dnsResolvers ?? `${ACME_DNS_RESOLVERS.join(', ')} (default)`],
        // Secret values are already *** in the view.
        ...(infra.proxyEnv ? [['proxy env', Object.entries(infra.proxyEnv).map(([k, v]) => `${k}=${v}`)] as const] : []),
      ])))
      this.log(section('entry points', table(entryPoints, [{header: 'name', get: (e) => e.name}, {header: 'address', get: (e) => e.address}, {header: 'source', get: (e) => e.source}])))
    }
    return {machine: machineName, context: contextName, infra, entryPoints}
  }
}
