import {inspect} from 'node:util'
import {afterEach, describe, expect, it} from 'vitest'

import {UsageError} from '../errors.js'
import {display, keyValues, table} from '../output/format.js'
import {effectiveInfra, infraView, validateInfraInput} from './infra.js'
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

describe('output/format', () => {
  it('aligns tables and key/value lists and masks secrets', () => {
    expect(table([{a: 'x', b: new Secret(TOKEN)}, {a: 'longer', b: undefined}], [{header: 'a', get: (r) => r.a}, {header: 'b', get: (r) => r.b}])).toBe(
      ['A       B', 'x       ***', 'longer  -'].join('\n'),
    )
    expect(keyValues([['one', [1, 2]], ['three', true]])).toBe(['one:    1, 2', 'three:  yes'].join('\n'))
  })
})
