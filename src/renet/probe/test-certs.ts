/**
 * Test-only: a root CA, an intermediate and a leaf made with openssl, shaped like an ACME CA's issue (the leaf
 * for DNS names, signed by an intermediate that the root signed). Neither the CLI build nor the renet bundle
 * reaches this file; the probe's and diagnose's tests import it.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestPem {
  key: string
  cert: string
}

export interface TestChain {
  root: TestPem
  intermediate: TestPem
  leaf: TestPem
}

export interface ChainOptions {
  names: string[]
  /** openssl -subj form, e.g. "/O=Pebble/CN=Pebble Root CA". */
  rootSubject?: string
  intermediateSubject?: string
  rootDays?: number
  intermediateDays?: number
  leafDays?: number
}

/** Makes root → intermediate → leaf (EC P-256). Validity starts now; tests move `now` to judge expiry. */
export function makeChain(o: ChainOptions): TestChain {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-chain-'))
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
  }
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  const key = (name: string): void => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`)
  const csr = (name: string, subject: string): void => ssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`)
  try {
    writeFileSync(join(dir, 'root.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n')
    writeFileSync(
      join(dir, 'intermediate.ext'),
      'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    )
    writeFileSync(
      join(dir, 'leaf.ext'),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectAltName=${o.names.map((n) => `DNS:${n}`).join(',')}\n`,
    )
    key('root')
    csr('root', o.rootSubject ?? '/O=Test ACME CA/CN=Test Root X1')
    ssl('x509', '-req', '-in', 'root.csr', '-signkey', 'root.key', '-days', String(o.rootDays ?? 3650), '-extfile', 'root.ext', '-out', 'root.pem')
    key('intermediate')
    csr('intermediate', o.intermediateSubject ?? '/O=Test ACME CA/CN=Test Intermediate R1')
    ssl('x509', '-req', '-in', 'intermediate.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', String(o.intermediateDays ?? 1825), '-extfile', 'intermediate.ext', '-out', 'intermediate.pem')
    key('leaf')
    csr('leaf', `/CN=${o.names[0] ?? 'leaf'}`)
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'intermediate.pem', '-CAkey', 'intermediate.key', '-CAcreateserial', '-days', String(o.leafDays ?? 90), '-extfile', 'leaf.ext', '-out', 'leaf.pem')
    const pem = (name: string): TestPem => ({key: read(`${name}.key`), cert: read(`${name}.pem`)})
    return {root: pem('root'), intermediate: pem('intermediate'), leaf: pem('leaf')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** PEM → base64 DER, the form the probe reports a served chain in. */
export function derBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')
}
