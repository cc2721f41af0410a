import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {selfSignedCert} from '../../test/support/certs.js'
import {ConfigError} from '../errors.js'
import {ConfigStore} from './store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdc-file-checks-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const SECRET = 'sekrit-VALUE-0123456789'
const ca = selfSignedCert({cn: 'Test ACME Root', days: 3650})

/** A context file whose one machine has these infra settings (in this key order, so lines are predictable). */
function fileWith(infra: Record<string, unknown>): string {
  return stringify({version: 1, current: 'prod', contexts: {prod: {machines: {'server-1': {host: '198.51.100.7', user: 'deploy', infra}}}}}, {lineWidth: 0})
}

async function readError(text: string): Promise<ConfigError> {
  const path = join(dir, 'config.yaml')
  await writeFile(path, text, {mode: 0o600})
  const store = new ConfigStore(path)
  let caught: unknown
  try {
    await store.update(() => undefined)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect(await readFile(path, 'utf8')).toBe(text)
  return caught as ConfigError
}

describe('the context file: ACME and proxy settings are checked on every read', () => {
  it('reads valid settings back unchanged', async () => {
    const infra = {
      publicIPv4: '198.51.100.7',
      proxyImage: 'traefik:v3.7.15',
      acmeCaServer: 'https://ca.internal:9000/acme/acme/directory',
      acmeCaCertificates: ca.cert,
      dnsResolvers: ['1.1.1.1:53', '[2606:4700::1111]:53'],
      proxyEnv: {CLOUDFLARE_PROPAGATION_TIMEOUT: '300', API_TOKEN: SECRET},
    }
    const path = join(dir, 'config.yaml')
    await writeFile(path, fileWith(infra), {mode: 0o600})
    const config = await new ConfigStore(path).read()
    expect(config.contexts.prod!.machines['server-1']!.infra).toEqual(infra)
  })

  it('names the key path and line of each bad value, never a secret value, and leaves the file as it was', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{proxyImage: 'Traefik latest'}, 'infra.proxyImage', 'not a Docker image reference'],
      [{acmeCaServer: 'http://ca.internal/dir'}, 'infra.acmeCaServer', 'https'],
      [{acmeCaServer: 'not a url'}, 'infra.acmeCaServer', 'spaces'],
      [{acmeCaCertificates: 'hello'}, 'infra.acmeCaCertificates', 'no "-----BEGIN CERTIFICATE-----" block'],
      [{acmeCaCertificates: `${ca.cert}${ca.key}`}, 'infra.acmeCaCertificates', 'contains a PRIVATE KEY'],
      [{dnsResolvers: ['1.1.1.1:99999']}, 'infra.dnsResolvers', 'port'],
      [{dnsResolvers: []}, 'infra.dnsResolvers', 'no resolvers'],
      [{proxyEnv: {lower: '1'}}, 'infra.proxyEnv.lower', 'not a valid variable name'],
      [{proxyEnv: {CF_DNS_API_TOKEN: SECRET}}, 'infra.proxyEnv.CF_DNS_API_TOKEN', '--cf-dns-token'],
      [{proxyEnv: {API_TOKEN: `${SECRET}\nEVIL=1`}}, 'infra.proxyEnv.API_TOKEN', 'line break'],
      [{proxyEnv: {API_TOKEN: ` ${SECRET}`}}, 'infra.proxyEnv.API_TOKEN', 'whitespace'],
      [{proxyEnv: {API_TOKEN: 5}}, 'infra.proxyEnv.API_TOKEN', 'string'],
    ]
    for (const [infra, key, why] of cases) {
      const text = fileWith({publicIPv4: '198.51.100.7', ...infra})
      const err = await readError(text)
      expect(err.message, key).toContain(`contexts.prod.machines.server-1.${key}`)
      expect(err.message, key).toContain(why)
      expect(err.message, key).toMatch(/line \d+/)
      expect(err.exitCode).toBe(3)
      expect(`${err.message} ${err.suggestion}`, key).not.toContain(SECRET)
    }
  })
})
