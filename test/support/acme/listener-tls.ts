/**
 * The TLS certificate for Pebble's ACME and management listeners, from a throw-away CA of our own (openssl, like
 * test/support/certs.ts). Pebble ships a fixed "minica" certificate for localhost only; ours names the addresses
 * the test hosts dial (IP SANs), and its CA is what Traefik must trust (acme.caCertificates) to talk to Pebble.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {isIP} from 'node:net'
import {join} from 'node:path'

export interface ListenerTls {
  caPem: string
  /** Files in `dir`: ca.pem (what clients trust), cert.pem and key.pem (what Pebble serves). */
  caFile: string
  certFile: string
  keyFile: string
}

export function makeListenerTls(dir: string, subjects: string[]): ListenerTls {
  mkdirSync(dir, {recursive: true})
  const o = (args: string[]): void => {
    execFileSync('openssl', args, {stdio: 'pipe', cwd: dir})
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  o(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/O=rdc ACME lab/CN=rdc ACME lab listener CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  o(['req', '-new', ...ec, '-keyout', 'key.pem', '-out', 'cert.csr', '-subj', '/CN=pebble'])
  const sans = [...new Set(subjects)].map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',')
  writeFileSync(
    join(dir, 'cert.ext'),
    `subjectAltName=${sans}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  )
  o(['x509', '-req', '-in', 'cert.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '30', '-extfile', 'cert.ext'])
  return {
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'cert.pem'),
    keyFile: join(dir, 'key.pem'),
  }
}
