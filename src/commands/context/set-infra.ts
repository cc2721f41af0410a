import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {INFRA_FIELDS, type InfraField, type InfraView, readCaCertificateFile, setInfra, validateInfraInput} from '../../config/infra.js'
import {resolveMachine} from '../../config/resolve.js'
import {Secret} from '../../config/secret.js'
import {readSecretFlag} from '../../config/stdin.js'
import type {TokenCheckResult} from '../../dns/token-check.js'

export default class ContextSetInfra extends BaseCommand<typeof ContextSetInfra> {
  static override summary = 'Set a machine’s infrastructure settings; only the flags given change.'
  static override description =
    'Give the Cloudflare token as "--cf-dns-token -" to read it from standard input, or leave it out of the file and set RDC_CF_DNS_TOKEN when pushing. ' +
    'Run "rdc context push-infra" afterwards to apply the settings.'
  static override examples = [
    '<%= config.bin %> context set-infra server-1 --public-ipv4 198.51.100.7 --base-domain example.com --cert-email admin@example.com',
    'printf %s "$CF_TOKEN" | <%= config.bin %> context set-infra server-1 --cf-dns-token -',
    '<%= config.bin %> context set-infra server-1 --tcp-ports 25,143,465,587,993 --udp-ports 53',
    '<%= config.bin %> context set-infra server-1 --acme-ca-server https://ca.internal:9000/acme/acme/directory --acme-ca-cert ./root_ca.crt',
    '<%= config.bin %> context set-infra server-1 --acme-staging --dns-resolvers 1.1.1.1,[2606:4700:4700::1111]:53',
    '<%= config.bin %> context set-infra server-1 --proxy-env CLOUDFLARE_PROPAGATION_TIMEOUT=300 --proxy-env CLOUDFLARE_POLLING_INTERVAL=',
    '<%= config.bin %> context set-infra server-1 --unset public-ipv6',
  ]
  static override args = {machine: Args.string({description: 'Machine name (default: RDC_MACHINE or the project config).', ignoreStdin: true})}
  static override flags = {
    'public-ipv4': Flags.string({description: 'Public IPv4 address; HTTPS binds it (entry point websecure).'}),
    'public-ipv6': Flags.string({description: 'Public IPv6 address; HTTPS binds it (entry point websecure-v6).'}),
    'base-domain': Flags.string({description: 'Domain for automatic hostnames ({service}-{networkId}.<domain>).'}),
    'cert-email': Flags.string({description: 'E-mail for the Let’s Encrypt account.'}),
    'cf-dns-token': Flags.string({description: 'Cloudflare API token for DNS-01; "-" reads it from stdin. Stored in the file, shown as ***.'}),
    'tcp-ports': Flags.string({description: 'Extra TCP ports, comma-separated (replaces the list).'}),
    'udp-ports': Flags.string({description: 'Extra UDP ports, comma-separated (replaces the list).'}),
    'proxy-image': Flags.string({description: 'Traefik image for the rediacc-proxy container (default: the pinned Traefik v3 release).'}),
    'acme-ca-server': Flags.string({helpValue: 'URL', description: 'ACME directory URL (https) of the CA that issues certificates (default: Let’s Encrypt production).'}),
    'acme-staging': Flags.boolean({description: 'Use Let’s Encrypt’s staging CA (untrusted test certificates); sets the ACME CA server. Not with --acme-ca-server.'}),
    'acme-ca-cert': Flags.string({helpValue: 'FILE', description: 'PEM file with the CA certificate(s) of a private ACME server (step-ca, Pebble); Traefik then trusts only these when talking to the ACME server. Stored in the context file.'}),
    'dns-resolvers': Flags.string({helpValue: 'LIST', description: 'Resolvers for the DNS-01 propagation check, comma-separated host[:port] (IPv6 as [ADDRESS]:PORT; default 1.1.1.1:53,1.0.0.1:53).'}),
    'proxy-env': Flags.string({
      helpValue: 'KEY=VALUE',
      multiple: true,
      multipleNonGreedy: true,
      description: 'Extra environment for the proxy container (repeatable; KEY= removes KEY), e.g. CLOUDFLARE_PROPAGATION_TIMEOUT=300. Values of keys naming TOKEN, KEY, SECRET or PASSWORD are shown as ***.',
    }),
    unset: Flags.string({description: 'Clear a setting.', multiple: true, options: Object.keys(INFRA_FIELDS)}),
    'allow-private': Flags.boolean({description: 'Accept private, loopback or documentation addresses as public (labs, tests).'}),
    'token-check': Flags.boolean({
      default: true,
      allowNo: true,
      description: 'Check --cf-dns-token against Cloudflare before storing it: active, the base domain’s zone visible, DNS records editable (a test TXT record is made and removed). --no-token-check skips it, for offline work.',
    }),
  }

  async run(): Promise<{machine: string; context: string; changed: InfraField[]; infra: InfraView; tokenCheck?: TokenCheckResult}> {
    const f = this.flags
    const changes = validateInfraInput({
      publicIPv4: f['public-ipv4'], publicIPv6: f['public-ipv6'], baseDomain: f['base-domain'], certEmail: f['cert-email'],
      cfDnsApiToken: await readSecretFlag(f['cf-dns-token'], '--cf-dns-token'),
      tcpPorts: f['tcp-ports'], udpPorts: f['udp-ports'], proxyImage: f['proxy-image'],
      acmeCaServer: f['acme-ca-server'], acmeStaging: f['acme-staging'], dnsResolvers: f['dns-resolvers'], proxyEnv: f['proxy-env'],
      acmeCaCert: f['acme-ca-cert'] === undefined ? undefined : await readCaCertificateFile(f['acme-ca-cert']),
      unset: f.unset as InfraField[] | undefined, allowPrivate: f['allow-private'],
    })
    const {store, contextName, machineName, machine} = await resolveMachine({configPath: f.config, context: f.context, machine: this.args.machine})
    let tokenCheck: TokenCheckResult | undefined
    if (f['token-check'] && changes.set.cfDnsApiToken !== undefined) {
      const {checkCloudflareToken, tokenCheckInputAfter, tokenCheckLine} = await import('../../dns/token-check.js')
      tokenCheck = await checkCloudflareToken(tokenCheckInputAfter(machine.infra, changes, new Secret(changes.set.cfDnsApiToken), machineName))
      this.log(tokenCheckLine(tokenCheck))
    }
    const result = await setInfra({store, contextName, machineName, changes})
    this.log(result.changed.length ? `Updated ${machineName}: ${result.changed.join(', ')}.` : `No change for ${machineName}: the values were already set.`)
    if (result.changed.length) this.log(`Apply with: rdc context push-infra ${machineName}${result.infra.cfDnsApiToken ? '' : ' (no Cloudflare token yet: HTTPS certificates need one)'}`)
    return {machine: machineName, context: contextName, ...result, ...(tokenCheck ? {tokenCheck} : {})}
  }
}
