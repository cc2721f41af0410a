import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestCert {
  key: string
  cert: string
}

/** A self-signed certificate made by openssl for the test: subject CN and subjectAltName entries as given. */
export function selfSignedCert(options: {cn: string; sans?: string[]; days?: number}): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-cert-'))
  try {
    const args = [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', String(options.days ?? 30), '-subj', `/CN=${options.cn}`,
    ]
    if (options.sans && options.sans.length > 0) args.push('-addext', `subjectAltName=${options.sans.map((s) => `DNS:${s}`).join(',')}`)
    execFileSync('openssl', args, {stdio: 'pipe'})
    return {key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** A certificate for `names` signed by a throw-away CA (issuer O/CN as given), as an ACME CA would issue it. */
export function caSignedCert(options: {names: string[]; issuerO?: string; issuerCN?: string; days?: number}): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-cert-'))
  const o = (args: string[]): void => {
    execFileSync('openssl', args, {stdio: 'pipe', cwd: dir})
  }
  try {
    const subjCa = `/O=${options.issuerO ?? 'Test ACME CA'}/CN=${options.issuerCN ?? 'T1'}`
    o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '365', '-subj', subjCa])
    o(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'req.csr', '-subj', `/CN=${options.names[0]}`])
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${options.names.map((n) => `DNS:${n}`).join(',')}\n`)
    o(['x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', String(options.days ?? 90), '-extfile', 'ext.cnf'])
    return {key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Traefik's acme.json holding these certificates for resolver `letsencrypt` (how Traefik stores what it issued). */
export function acmeJson(certs: Array<{names: string[]; cert: TestCert}>, resolver = 'letsencrypt'): string {
  return JSON.stringify({
    [resolver]: {
      Account: null,
      Certificates: certs.map((c) => ({
        domain: {main: c.names[0], ...(c.names.length > 1 ? {sans: c.names.slice(1)} : {})},
        certificate: Buffer.from(c.cert.cert).toString('base64'),
        key: Buffer.from(c.cert.key).toString('base64'),
        Store: 'default',
      })),
    },
  })
}
