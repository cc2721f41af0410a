import {isIP} from 'node:net'
import {connect, type DetailedPeerCertificate, type PeerCertificate} from 'node:tls'

import {outcomeOf} from './tcp.js'
import type {CertInfo, TlsCheck, TlsResult} from './types.js'

/** The subject Traefik gives the certificate it generates when it has none for a name. */
export const TRAEFIK_DEFAULT_CN = 'TRAEFIK DEFAULT CERT'

function first(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '')
}

/** `DNS:a.example.com, IP Address:1.2.3.4` → ['a.example.com', '1.2.3.4']. */
export function parseSubjectAltName(san: string | undefined): string[] {
  if (!san) return []
  return san
    .split(/,\s*/)
    .map((entry) => entry.replace(/^(DNS|IP Address):/, '').trim())
    .filter((entry) => entry !== '')
}

/** A SAN covers a name exactly, or as a wildcard for exactly one leftmost label (RFC 6125). */
export function sanCovers(san: string, name: string): boolean {
  const s = san.toLowerCase()
  const n = name.toLowerCase().replace(/\.$/, '')
  if (s === n) return true
  if (!s.startsWith('*.')) return false
  const dot = n.indexOf('.')
  return dot > 0 && n.slice(dot + 1) === s.slice(2)
}

export function certInfo(cert: PeerCertificate, servername: string): CertInfo {
  const subjectCN = first(cert.subject?.CN)
  const issuerCN = first(cert.issuer?.CN)
  const issuerO = first(cert.issuer?.O)
  const sans = parseSubjectAltName(cert.subjectaltname)
  const names = sans.length > 0 ? sans : [subjectCN]
  return {
    subjectCN,
    issuerCN,
    issuerO,
    notBefore: new Date(cert.valid_from).toISOString(),
    notAfter: new Date(cert.valid_to).toISOString(),
    sans,
    selfSigned: subjectCN === issuerCN && first(cert.subject?.O) === issuerO,
    traefikDefault: subjectCN === TRAEFIK_DEFAULT_CN,
    matchesName: names.some((n) => sanCovers(n, servername)),
    fingerprint256: cert.fingerprint256,
  }
}

/** More than any real chain (leaf, one or two intermediates, perhaps a cross-sign). */
export const MAX_CHAIN = 5

/**
 * The served chain from Node's view of it (getPeerCertificate(true) links each certificate to its issuer among
 * those served, and may add a root from its own store at the top): leaf first, self-signed roots dropped.
 */
export function servedChain(leaf: DetailedPeerCertificate): string[] {
  const chain: string[] = []
  const seen = new Set<string>()
  let c: DetailedPeerCertificate | undefined = leaf
  while (c?.raw !== undefined && !seen.has(c.fingerprint256) && chain.length < MAX_CHAIN) {
    seen.add(c.fingerprint256)
    const issuer: DetailedPeerCertificate | undefined = c.issuerCertificate
    // Node links a self-signed root to itself; a certificate whose issuer was not served has none, and is kept (a
    // CA that serves only leaf + intermediate, as Let's Encrypt and Pebble do, ends the chain at the intermediate).
    const selfSigned = issuer !== undefined && (issuer === c || issuer.fingerprint256 === c.fingerprint256)
    if (chain.length > 0 && selfSigned) break
    chain.push(c.raw.toString('base64'))
    c = issuer
  }
  return chain
}

/** Connects with SNI and reads the certificate served, whether or not it is trusted: diagnosing, not trusting. */
export function probeTls(check: TlsCheck, timeoutMs: number): Promise<TlsResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    let done = false
    const finish = (result: Omit<TlsResult, 'id' | 'kind' | 'durationMs'>): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({id: check.id, kind: 'tls', durationMs: Math.round(performance.now() - started), ...result})
    }

    const socket = connect({
      host: check.host,
      port: check.port,
      // An IP literal is not a valid SNI value; Node warns and servers ignore it.
      ...(isIP(check.servername) === 0 ? {servername: check.servername} : {}),
      rejectUnauthorized: false,
    })
    const timer = setTimeout(() => finish({outcome: 'timeout', error: 'ETIMEDOUT'}), timeoutMs)
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(true)
      if (!cert || Object.keys(cert).length === 0) {
        finish({outcome: 'error', error: 'no certificate served'})
        return
      }
      const info = certInfo(cert, check.servername)
      finish({outcome: 'ok', cert: info, ...(info.traefikDefault ? {} : {chain: servedChain(cert)})})
    })
    socket.once('error', (error: NodeJS.ErrnoException) => finish({outcome: outcomeOf(error), error: error.code ?? error.message}))
  })
}
