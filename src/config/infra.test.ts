import {inspect} from 'node:util'
import {afterEach, describe, expect, it} from 'vitest'

import {selfSignedCert} from '../../test/support/certs.js'
import {UsageError} from '../errors.js'
import {display, keyValues, table} from '../output/format.js'
import {effectiveInfra, infraView, maskedEnv, validateInfraInput} from './infra.js'
import type {Machine} from './schema.js'
import {Secret} from './secret.js'

const TOKEN = 'file-SECRET-abcdef0123'
const machine: Machine = {host: 'h', user: 'u', port: 22, infra: {baseDomain: 'example.com', cfDnsApiToken: TOKEN, tcpPorts: [25]}}

afterEach(() => {
  delete process.env.RDC_CF_DNS_TOKEN
})

describe('effectiveInfra (what push-infra uses)', () => {
  it('wraps the stored token in a Secret that never prints', () => {
    const infra = effectiveInfra(machine)
    expect(infra.cfDnsApiToken?.reveal()).toBe(TOKEN)
    expect(infra.baseDomain).toBe('example.com')
    for (const shown of [JSON.stringify(infra), inspect(infra), `${infra.cfDnsApiToken}`, display(infra.cfDnsApiToken)]) {
      expect(shown).not.toContain(TOKEN)
      expect(shown).toContain('***')
    }
  })

  it('lets RDC_CF_DNS_TOKEN replace the stored token, and reports where the token comes from', () => {
    process.env.RDC_CF_DNS_TOKEN = 'env-SECRET-987'
    expect(effectiveInfra(machine).cfDnsApiToken?.reveal()).toBe('env-SECRET-987')
    expect(infraView(machine)).toEqual({baseDomain: 'example.com', cfDnsApiToken: '***', cfDnsApiTokenSource: 'env', tcpPorts: [25], udpPorts: []})
    delete process.env.RDC_CF_DNS_TOKEN
    expect(infraView(machine).cfDnsApiTokenSource).toBe('file')
    expect(effectiveInfra({...machine, infra: {}}).cfDnsApiToken).toBeUndefined()
  })
})

describe('validateInfraInput', () => {
  it('normalises values and refuses an empty change set', () => {
    expect(validateInfraInput({baseDomain: 'Example.COM', tcpPorts: '143, 25', cfDnsApiToken: new Secret(` ${TOKEN}\n`)})).toEqual({
      set: {baseDomain: 'example.com', tcpPorts: [25, 143], cfDnsApiToken: TOKEN},
      unset: [],
    })
    expect(() => validateInfraInput({})).toThrow(UsageError)
    expect(validateInfraInput({unset: ['public-ipv6', 'public-ipv6']})).toEqual({set: {}, unset: ['public-ipv6']})
  })
})

describe('ACME and proxy settings', () => {
  const ca = selfSignedCert({cn: 'Test ACME Root', days: 3650})

  function usage(fn: () => unknown): UsageError {
    try {
      fn()
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError)
      return error as UsageError
    }
    throw new Error('expected a UsageError')
  }

  it('validates each new flag into the field the file stores', () => {
    expect(validateInfraInput({
      acmeCaServer: 'https://ca.internal:9000/acme/acme/directory',
      acmeCaCert: {path: 'root_ca.crt', text: ca.cert},
      dnsResolvers: '1.1.1.1,[2606:4700::1111]:53',
      proxyEnv: ['CLOUDFLARE_PROPAGATION_TIMEOUT=300', 'OLD='],
    })).toEqual({
      set: {acmeCaServer: 'https://ca.internal:9000/acme/acme/directory', acmeCaCertificates: ca.cert, dnsResolvers: ['1.1.1.1:53', '[2606:4700::1111]:53']},
      unset: [],
      proxyEnv: {set: {CLOUDFLARE_PROPAGATION_TIMEOUT: '300'}, remove: ['OLD']},
    })
    expect(validateInfraInput({acmeStaging: true}).set).toEqual({acmeCaServer: 'https://acme-staging-v02.api.letsencrypt.org/directory'})
    expect(validateInfraInput({unset: ['acme-ca-server', 'acme-ca-cert', 'dns-resolvers', 'proxy-env']}).unset).toEqual(['acme-ca-server', 'acme-ca-cert', 'dns-resolvers', 'proxy-env'])
  })

  it('refuses --acme-staging with --acme-ca-server, and a setting given together with its --unset', () => {
    const both = usage(() => validateInfraInput({acmeStaging: true, acmeCaServer: 'https://ca.internal/dir'}))
    expect(both.field).toBe('--acme-staging')
    expect(both.message).toContain('--acme-ca-server')
    expect(usage(() => validateInfraInput({acmeStaging: true, unset: ['acme-ca-server']})).field).toBe('--acme-staging')
    expect(usage(() => validateInfraInput({proxyEnv: ['A=1'], unset: ['proxy-env']})).field).toBe('--proxy-env')
    expect(usage(() => validateInfraInput({dnsResolvers: '1.1.1.1', unset: ['dns-resolvers']})).field).toBe('--dns-resolvers')
    expect(usage(() => validateInfraInput({acmeCaCert: {path: 'k.pem', text: ca.key}})).message).toContain('"k.pem" contains a PRIVATE KEY')
  })

  it('shows secret proxy environment values as *** and summarises the CA certificates', () => {
    const view = infraView({...machine, infra: {acmeCaCertificates: ca.cert, proxyEnv: {CLOUDFLARE_BASE_URL: 'https://cf.test/v4', LEGO_API_KEY: 'k-SECRET', DB_PASSWORD: 'p-SECRET'}}})
    expect(view.proxyEnv).toEqual({CLOUDFLARE_BASE_URL: 'https://cf.test/v4', LEGO_API_KEY: '***', DB_PASSWORD: '***'})
    expect(JSON.stringify(view)).not.toContain('SECRET')
    expect(view.acmeCaCertificates).toBe(ca.cert)
    expect(view.acmeCaCertificateList).toEqual([{subject: 'CN=Test ACME Root', notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), sha256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)}])
    expect(maskedEnv({A_TOKEN: 'x'})).toEqual({A_TOKEN: '***'})
  })
})

describe('output/format', () => {
  it('aligns tables and key/value lists and masks secrets', () => {
    expect(table([{a: 'x', b: new Secret(TOKEN)}, {a: 'longer', b: undefined}], [{header: 'a', get: (r) => r.a}, {header: 'b', get: (r) => r.b}])).toBe(
      ['A       B', 'x       ***', 'longer  -'].join('\n'),
    )
    expect(keyValues([['one', [1, 2]], ['three', true]])).toBe(['one:    1, 2', 'three:  yes'].join('\n'))
  })
})
