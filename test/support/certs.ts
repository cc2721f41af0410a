import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
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
