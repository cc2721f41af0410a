import type {TlsResult} from '../../renet/probe/types.js'
import {fail, ok, warn, type AcmeEvidence, type Finding} from '../finding.js'
import {proxyLogs, pushInfra} from '../fixes.js'
import {classifyAcmeError, latestAcmeError, problemFor, trimError, type AcmeLog} from '../parse/acme.js'
import {verifyChain, type AcmeTrust, type ChainVerdict} from './chain.js'

const DAY = 86_400_000
/** Let's Encrypt certificates are renewed 30 days before expiry; under 14 days left, renewal is failing. */
export const RENEWAL_OVERDUE_DAYS = 14

export interface TlsCheckContext {
  /** The machine's ACME CA settings; the served chain is verified against them. */
  trust?: AcmeTrust
  /** ACME errors from the proxy's log, to say why a certificate was not issued or renewed. */
  acme?: AcmeLog
}

function certNotIssuedFix(machine: string): string {
  return (
    'check that DNS points the name at this machine (see the dns finding) and that the Cloudflare token has ' +
    `Zone:Zone:Read and Zone:DNS:Edit on the zone (rdc context set-infra ${machine} --cf-dns-token - && ${pushInfra(machine)}); ` +
    `ACME errors: ${proxyLogs} 2>&1 | grep -i acme`
  )
}

/** Why issuance failed, from the newest ACME error logged for the name; or what the log's silence means. */
function issuance(name: string, machine: string, log: AcmeLog | undefined): {note: string; fix?: string; acme?: AcmeEvidence} {
  const found = latestAcmeError(log, name)
  if (found === undefined) {
    if (log?.read !== true) return {note: ''}
    return {note: `; Traefik logged no ACME error for it in the last 24 h (issuance may still be running, or failed earlier)`}
  }
  const problem = problemFor(found.error, name)
  const d = classifyAcmeError(problem, machine, found.ca)
  const when = found.time === undefined ? '' : ` (${found.time.replace(/\.\d+/, '').replace('T', ' ').replace(/Z$/, ' UTC')})`
  return {
    note: `; last ACME error${when}: ${d.summary}`,
    fix: d.fix,
    acme: {cause: d.cause, error: trimError(problem, 600), domains: found.domains, ...(found.time === undefined ? {} : {time: found.time}), ...(found.ca === undefined ? {} : {ca: found.ca})},
  }
}

const acmeCertFix = (machine: string): string => `rdc context set-infra ${machine} --acme-ca-cert <root.pem> && ${pushInfra(machine)}`

/** The finding for a chain that does not verify, with a fix for what is wrong. */
function chainFinding(name: string, v: Extract<ChainVerdict, {status: 'failed'}>, machine: string, trust: AcmeTrust, base: Partial<Finding>): Finding {
  const extra = {...base, chain: {verdict: v.status, checkedAgainst: v.against, certificates: v.chain}}
  const privateCa = trust.acmeCaCertificates !== undefined && trust.acmeCaCertificates.trim() !== ''
  switch (v.problem) {
    case 'untrusted': {
      const fix = privateCa
        ? `the chain must reach a certificate in --acme-ca-cert: add the root that issues the certificates of ${trust.acmeCaServer ?? 'the machine’s ACME CA'} to that PEM file ` +
          `(for Pebble its /roots/0, which is not the CA of its HTTPS listener): ${acmeCertFix(machine)}; or the certificate came from another CA (check --acme-ca-server)`
        : `if the machine uses a private ACME CA, give its URL and root: rdc context set-infra ${machine} --acme-ca-server <url> --acme-ca-cert <root.pem> && ${pushInfra(machine)}; ` +
          `otherwise the certificate came from another CA (an earlier --acme-ca-server, or one placed by hand) and Traefik must issue a new one (see ${proxyLogs} 2>&1 | grep -i acme)`
      return fail('tls', `the chain served for ${name} (issued by ${v.issuer}) does not verify: ${v.reason}`, fix, extra)
    }
    case 'expired':
    case 'not-yet-valid': {
      const fix =
        v.problem === 'expired'
          ? `the CA's chain has lapsed: renew the certificate so Traefik fetches the CA's current chain (ACME errors: ${proxyLogs} 2>&1 | grep -i acme)`
          : "check the clocks: the server's (timedatectl) and, for a private CA, the CA's"
      return fail('tls', `the chain served for ${name} (issued by ${v.issuer}) is not valid now: ${v.reason}`, fix, extra)
    }
    case 'broken':
      return fail('tls', `the chain served for ${name} (issued by ${v.issuer}) is broken: ${v.reason}`, `Traefik serves the chain the CA returned: re-issue the certificate; check the CA (${proxyLogs} 2>&1 | grep -i acme)`, extra)
    case 'unreadable':
      return fail('tls', `the chain served for ${name} cannot be read: ${v.reason}`, `re-run; if it persists, check the proxy: ${proxyLogs}`, extra)
  }
}

/** The certificate Traefik serves for `name` at one public address, and the chain it sends with it. */
export function checkTls(name: string, result: TlsResult, machine: string, now: Date, context: TlsCheckContext = {}): Finding {
  const subject = `${name} @ ${result.id.replace(/^tls:[^@]*@/, '')}`
  const base = {subject, durationMs: result.durationMs}
  if (result.outcome !== 'ok' || result.cert === undefined) {
    return fail('tls', `no TLS answer for ${name} (${result.error ?? result.outcome})`, `the HTTPS entry point must be up: ${pushInfra(machine)}; ${proxyLogs}`, base)
  }
  const c = result.cert
  const why = (): ReturnType<typeof issuance> => issuance(name, machine, context.acme)
  if (c.traefikDefault) {
    const i = why()
    return fail('tls', `certificate not issued: Traefik serves its default self-signed certificate for ${name}${i.note}`, i.fix ?? certNotIssuedFix(machine), {...base, ...(i.acme ? {acme: i.acme} : {})})
  }
  const daysLeft = Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY)
  const issuer = c.issuerO ? `${c.issuerO} ${c.issuerCN}`.trim() : c.issuerCN
  if (!c.matchesName) {
    return fail('tls', `the certificate served (${c.subjectCN}; ${c.sans.join(', ') || 'no SANs'}) does not cover ${name}`, certNotIssuedFix(machine), base)
  }
  if (daysLeft < 0) {
    const i = why()
    return fail('tls', `the certificate for ${name} expired on ${c.notAfter.slice(0, 10)}${i.note}`, i.fix ?? certNotIssuedFix(machine), {...base, ...(i.acme ? {acme: i.acme} : {})})
  }
  if (Date.parse(c.notBefore) > now.getTime()) {
    return fail('tls', `the certificate for ${name} is not valid until ${c.notBefore.replace('.000Z', 'Z')} (issued by ${issuer})`, "check the clocks: the server's (timedatectl) and, for a private CA, the CA's", base)
  }
  if (c.selfSigned) {
    return warn('tls', `the certificate for ${name} is self-signed (${c.subjectCN}): browsers will not trust it`, `use tls.certresolver=letsencrypt on the router`, base)
  }

  // A renet older than this CLI sends no chain: the leaf checks above are all there is to judge.
  const trust = context.trust ?? {}
  const verdict = result.chain === undefined ? undefined : verifyChain(result.chain, trust, now)
  if (verdict?.status === 'failed') return chainFinding(name, verdict, machine, trust, base)
  const chain = verdict === undefined ? {} : {chain: {verdict: verdict.status, checkedAgainst: verdict.status === 'verified' ? verdict.against : 'no trust store (Let’s Encrypt staging)', certificates: verdict.chain}}

  if (daysLeft < RENEWAL_OVERDUE_DAYS) {
    const i = why()
    return warn('tls', `the certificate for ${name} expires in ${daysLeft} days (${c.notAfter.slice(0, 10)}): renewal is overdue${i.note}`, i.fix ?? certNotIssuedFix(machine), {
      ...base,
      ...chain,
      ...(i.acme ? {acme: i.acme} : {}),
    })
  }
  if (verdict?.status === 'staging') {
    return warn(
      'tls',
      `the certificate for ${name} is from Let's Encrypt staging (${verdict.issuer}): browsers cannot verify its chain, since staging roots are in no trust store`,
      `when done testing, switch the machine to Let's Encrypt production: rdc context set-infra ${machine} --unset acme-ca-server && ${pushInfra(machine)}`,
      {...base, ...chain},
    )
  }
  const verified = verdict?.status === 'verified' ? `, chain verified to ${verdict.anchor}` : ''
  return ok('tls', `${issuer}, valid until ${c.notAfter.slice(0, 10)} (${daysLeft} days)${verified}`, base)
}
