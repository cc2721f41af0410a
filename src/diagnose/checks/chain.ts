/**
 * Verifies the chain a server served against the CA the machine is set to, with node:crypto alone: each
 * certificate must be in its validity period at `now`, be issued by the next one (names and signature), and the
 * walk must reach a trusted root (or a trusted certificate itself). Diagnosing, so every failure says where.
 */
import {X509Certificate} from 'node:crypto'
import {rootCertificates} from 'node:tls'

/** The machine's ACME settings that decide which roots a served chain must reach. */
export interface AcmeTrust {
  /** Unset = Let's Encrypt production. */
  acmeCaServer?: string
  /** PEM of a private ACME CA's roots (e.g. Pebble): the chain must reach one of these. */
  acmeCaCertificates?: string
}

export const LE_STAGING_HOST = 'acme-staging-v02.api.letsencrypt.org'
export const LE_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory'

export function isLetsEncryptStaging(caServer: string | undefined): boolean {
  if (caServer === undefined) return false
  try {
    return new URL(caServer).hostname.toLowerCase() === LE_STAGING_HOST
  } catch {
    return false
  }
}

/** One certificate of the chain, as the report shows it. */
export interface ChainCert {
  subject: string
  issuer: string
  notBefore: string
  notAfter: string
}

export type ChainVerdict =
  /** Reached `anchor`, one of `against`. */
  | {status: 'verified'; anchor: string; against: string; chain: ChainCert[]}
  /** LE staging: well formed, issuer names say STAGING, but no browser has its roots. */
  | {status: 'staging'; issuer: string; chain: ChainCert[]}
  | {status: 'failed'; problem: ChainProblem; reason: string; issuer: string; against: string; chain: ChainCert[]}

/**
 * unreadable: a certificate does not parse; untrusted: the walk ends without reaching a trusted root;
 * broken: a certificate is not issued/signed by the next one, or an intermediate is not a CA;
 * expired / not-yet-valid: a certificate (or the trusted root) is outside its dates at `now`.
 */
export type ChainProblem = 'unreadable' | 'untrusted' | 'broken' | 'expired' | 'not-yet-valid'

/** `CN=R11\nO=Let's Encrypt\nC=US` → "Let's Encrypt R11"; falls back to the whole name on one line. */
export function displayName(dn: string): string {
  const fields = new Map<string, string>()
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0 && !fields.has(line.slice(0, eq))) fields.set(line.slice(0, eq), line.slice(eq + 1))
  }
  const cn = fields.get('CN')
  const o = fields.get('O')
  if (cn !== undefined && o !== undefined) {
    if (cn.includes(o)) return cn
    // "(STAGING) Let's Encrypt" + "(STAGING) Counterfeit Cashew R10": say STAGING once.
    const tag = /^\([^)]*\) /.exec(o)?.[0]
    return `${o} ${tag !== undefined && cn.startsWith(tag) ? cn.slice(tag.length) : cn}`
  }
  return cn ?? o ?? dn.replace(/\n/g, ', ')
}

/** A root is known by its CN ("ISRG Root X1"), else as displayName says. */
function rootName(dn: string): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(dn)?.[1] ?? displayName(dn)
}

const isoDay = (date: string): string => new Date(date).toISOString().slice(0, 10)

function describe(c: X509Certificate): ChainCert {
  return {subject: displayName(c.subject), issuer: displayName(c.issuer), notBefore: new Date(c.validFrom).toISOString(), notAfter: new Date(c.validTo).toISOString()}
}

/** Every certificate in a PEM text; a block that does not parse is skipped (see the `unreadable` count). */
export function parsePemBundle(pem: string): {certs: X509Certificate[]; unreadable: number} {
  const certs: X509Certificate[] = []
  let unreadable = 0
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
    try {
      certs.push(new X509Certificate(block))
    } catch {
      unreadable++
    }
  }
  return {certs, unreadable}
}

let bundled: X509Certificate[] | undefined
/** Node's bundled Mozilla roots (what `tls` trusts by default), parsed once. */
export function bundledRoots(): X509Certificate[] {
  bundled ??= rootCertificates.flatMap((pem) => {
    try {
      return [new X509Certificate(pem)]
    } catch {
      return []
    }
  })
  return bundled
}

const privateBundles = new Map<string, {certs: X509Certificate[]; unreadable: number}>()
function privateRoots(pem: string): {certs: X509Certificate[]; unreadable: number} {
  let parsed = privateBundles.get(pem)
  if (parsed === undefined) {
    parsed = parsePemBundle(pem)
    privateBundles.set(pem, parsed)
  }
  return parsed
}

/** The roots a chain must reach for these settings, and how to name them in a finding. */
export function trustAnchors(trust: AcmeTrust): {anchors: X509Certificate[]; against: string; staging: boolean} {
  if (trust.acmeCaCertificates !== undefined && trust.acmeCaCertificates.trim() !== '') {
    const {certs} = privateRoots(trust.acmeCaCertificates)
    const names = certs.map((c) => displayName(c.subject))
    const shown = names.length === 0 ? 'none readable' : names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', ')
    return {anchors: certs, against: `the machine's ACME CA certificates (--acme-ca-cert: ${shown})`, staging: false}
  }
  if (isLetsEncryptStaging(trust.acmeCaServer)) {
    return {anchors: bundledRoots(), against: "Node's bundled root certificates", staging: true}
  }
  const production = trust.acmeCaServer === undefined || trust.acmeCaServer.replace(/\/+$/, '') === LE_PRODUCTION
  const which = production ? 'the machine uses Let’s Encrypt production' : `the machine's ACME CA is ${trust.acmeCaServer}`
  return {anchors: bundledRoots(), against: `Node's bundled root certificates (${which})`, staging: false}
}

function validity(c: X509Certificate, now: Date): 'expired' | 'not-yet-valid' | undefined {
  if (now.getTime() < Date.parse(c.validFrom)) return 'not-yet-valid'
  if (now.getTime() > Date.parse(c.validTo)) return 'expired'
  return undefined
}

function issuedBy(c: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return c.checkIssued(issuer) && c.verify(issuer.publicKey)
  } catch {
    return false
  }
}

type Walk =
  | {ok: true; anchor: X509Certificate}
  | {ok: false; problem: Exclude<ChainProblem, 'unreadable'>; reason: string; top: X509Certificate}

/** Leaf → intermediates → a trusted root; with no anchors, only the served part is checked (staging). */
function walk(certs: X509Certificate[], anchors: X509Certificate[], now: Date, against: string): Walk {
  for (const [i, c] of certs.entries()) {
    const role = i === 0 ? 'the certificate' : `the intermediate ${displayName(c.subject)}`
    const dates = validity(c, now)
    if (dates === 'expired') return {ok: false, problem: 'expired', reason: `${role} expired on ${isoDay(c.validTo)}`, top: c}
    if (dates === 'not-yet-valid') return {ok: false, problem: 'not-yet-valid', reason: `${role} is not valid until ${new Date(c.validFrom).toISOString().replace('.000Z', 'Z')}`, top: c}
    if (i > 0 && !c.ca) return {ok: false, problem: 'broken', reason: `${role} is served as an intermediate but is not a CA certificate`, top: c}
    const trusted = anchors.find((a) => a.fingerprint256 === c.fingerprint256) ?? anchors.find((a) => issuedBy(c, a))
    if (trusted !== undefined) {
      const rootDates = validity(trusted, now)
      if (rootDates !== undefined) {
        const when = rootDates === 'expired' ? `expired on ${isoDay(trusted.validTo)}` : `is not valid until ${isoDay(trusted.validFrom)}`
        return {ok: false, problem: rootDates, reason: `the root ${displayName(trusted.subject)} it reaches ${when}`, top: c}
      }
      return {ok: true, anchor: trusted}
    }
    const next = certs[i + 1]
    if (next === undefined) {
      return {ok: false, problem: 'untrusted', reason: `the chain ends at ${displayName(c.subject)}, whose issuer ${displayName(c.issuer)} is neither served nor one of ${against}`, top: c}
    }
    if (!c.checkIssued(next)) {
      return {ok: false, problem: 'broken', reason: `${displayName(next.subject)} is served after ${displayName(c.subject)} but did not issue it (issuer ${displayName(c.issuer)})`, top: c}
    }
    if (!issuedBy(c, next)) {
      return {ok: false, problem: 'broken', reason: `the signature on ${displayName(c.subject)} does not verify with ${displayName(next.subject)}'s key`, top: c}
    }
  }
  // Only an empty chain gets here.
  return {ok: false, problem: 'untrusted', reason: 'no certificate was served', top: certs[0]!}
}

/** Verifies a served chain (base64 DER, leaf first) against the CA the machine is set to, at `now`. */
export function verifyChain(served: string[], trust: AcmeTrust, now: Date): ChainVerdict {
  const {anchors, against, staging} = trustAnchors(trust)
  let certs: X509Certificate[]
  try {
    certs = served.map((b64) => new X509Certificate(Buffer.from(b64, 'base64')))
  } catch (error) {
    return {status: 'failed', problem: 'unreadable', reason: `a served certificate does not parse (${(error as Error).message})`, issuer: '?', against, chain: []}
  }
  if (certs.length === 0) return {status: 'failed', problem: 'unreadable', reason: 'no certificate was served', issuer: '?', against, chain: []}
  const chain = certs.map(describe)
  const issuer = displayName(certs[0]!.issuer)

  if (staging && certs.some((c) => /staging/i.test(c.issuer))) {
    // Staging roots are in no store: check only what was served, and that it is staging's.
    const served = walk(certs, [], now, 'the served certificates')
    if (!served.ok && served.problem !== 'untrusted') return {status: 'failed', problem: served.problem, reason: served.reason, issuer, against: 'the served chain', chain}
    return {status: 'staging', issuer, chain}
  }
  const againstNamed = staging ? `${against} (the machine is set to Let’s Encrypt staging, but the issuer does not say STAGING)` : against
  const result = walk(certs, anchors, now, againstNamed)
  if (result.ok) return {status: 'verified', anchor: rootName(result.anchor.subject), against: againstNamed, chain}
  return {status: 'failed', problem: result.problem, reason: result.reason, issuer, against: againstNamed, chain}
}
