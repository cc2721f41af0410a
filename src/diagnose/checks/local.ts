import type {LocalFacts} from '../facts.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {pushInfra} from '../fixes.js'

/** Are the context, machine and infra settings complete for what diagnose (and push-infra) need? */
export function checkLocal(local: LocalFacts): Finding[] {
  const {machine, infra} = local
  const findings: Finding[] = []
  if (!local.hasHostKey) {
    findings.push(
      warn('local', 'no host key is pinned for this machine, so its identity cannot be verified', `rdc context scan-keys ${machine}`, {subject: machine}),
    )
  }
  if (!infra.publicIPv4 && !infra.publicIPv6) {
    findings.push(
      fail('local', 'no public IPv4 or IPv6 is set: there is no HTTPS entry point to route to', `rdc context set-infra ${machine} --public-ipv4 <address> && ${pushInfra(machine)}`, {
        subject: machine,
      }),
    )
  }
  if (!infra.baseDomain) {
    findings.push(
      warn('local', 'no base domain is set: automatic routes ({service}-{networkId}.<domain>) are off', `rdc context set-infra ${machine} --base-domain <domain> && ${pushInfra(machine)}`, {
        subject: machine,
      }),
    )
  }
  if (!infra.certEmail) {
    findings.push(
      fail('local', 'no certificate e-mail is set: Let’s Encrypt certificates cannot be requested', `rdc context set-infra ${machine} --cert-email <address> && ${pushInfra(machine)}`, {
        subject: machine,
      }),
    )
  }
  if (!infra.hasCfDnsToken) {
    findings.push(
      warn(
        'local',
        'no Cloudflare DNS token is stored (unless RDC_CF_DNS_TOKEN gave one at push time, certificates cannot be issued)',
        `rdc context set-infra ${machine} --cf-dns-token - && ${pushInfra(machine)}`,
        {subject: machine},
      ),
    )
  }
  if (findings.length === 0) {
    const families = [infra.publicIPv4 && `IPv4 ${infra.publicIPv4}`, infra.publicIPv6 && `IPv6 ${infra.publicIPv6}`].filter(Boolean).join(', ')
    findings.push(ok('local', `infra settings complete: ${families}, domain ${infra.baseDomain}`, {subject: machine}))
  }
  return findings
}
