import type {TlsResult} from '../../renet/probe/types.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {proxyLogs, pushInfra} from '../fixes.js'

const DAY = 86_400_000
/** Let's Encrypt certificates are renewed 30 days before expiry; under 14 days left, renewal is failing. */
export const RENEWAL_OVERDUE_DAYS = 14

function certNotIssuedFix(machine: string): string {
  return (
    'check that DNS points the name at this machine (see the dns finding) and that the Cloudflare token has ' +
    `Zone:Zone:Read and Zone:DNS:Edit on the zone (rdc context set-infra ${machine} --cf-dns-token - && ${pushInfra(machine)}); ` +
    `ACME errors: ${proxyLogs} 2>&1 | grep -i acme`
  )
}

/** The certificate Traefik serves for `name` at one public address. */
export function checkTls(name: string, result: TlsResult, machine: string, now: Date): Finding {
  const subject = `${name} @ ${result.id.replace(/^tls:[^@]*@/, '')}`
  const base = {subject, durationMs: result.durationMs}
  if (result.outcome !== 'ok' || result.cert === undefined) {
    return fail('tls', `no TLS answer for ${name} (${result.error ?? result.outcome})`, `the HTTPS entry point must be up: ${pushInfra(machine)}; ${proxyLogs}`, base)
  }
  const c = result.cert
  if (c.traefikDefault) {
    return fail('tls', `certificate not issued: Traefik serves its default self-signed certificate for ${name}`, certNotIssuedFix(machine), base)
  }
  const daysLeft = Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY)
  const issuer = c.issuerO ? `${c.issuerO} ${c.issuerCN}`.trim() : c.issuerCN
  if (!c.matchesName) {
    return fail('tls', `the certificate served (${c.subjectCN}; ${c.sans.join(', ') || 'no SANs'}) does not cover ${name}`, certNotIssuedFix(machine), base)
  }
  if (daysLeft < 0) return fail('tls', `the certificate for ${name} expired on ${c.notAfter.slice(0, 10)}`, certNotIssuedFix(machine), base)
  if (c.selfSigned) {
    return warn('tls', `the certificate for ${name} is self-signed (${c.subjectCN}): browsers will not trust it`, `use tls.certresolver=letsencrypt on the router`, base)
  }
  if (daysLeft < RENEWAL_OVERDUE_DAYS) {
    return warn('tls', `the certificate for ${name} expires in ${daysLeft} days (${c.notAfter.slice(0, 10)}): renewal is overdue`, certNotIssuedFix(machine), base)
  }
  return ok('tls', `${issuer}, valid until ${c.notAfter.slice(0, 10)} (${daysLeft} days)`, base)
}
