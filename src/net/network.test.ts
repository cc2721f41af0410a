import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  MAX_SLOTS,
  isValidNetworkId,
  networkCidr,
  networkIdAt,
  nextFreeNetworkId,
  serviceIp,
  serviceIpVar,
} from './network.js'

describe('network arithmetic', () => {
  it('gives the documented first addresses', () => {
    expect(networkIdAt(0)).toBe(2816)
    expect(networkIdAt(1)).toBe(2880)
    expect(serviceIp(2816, 0)).toBe('127.0.11.2')
    expect(serviceIp(2816, 1)).toBe('127.0.11.3')
    expect(serviceIp(2880, 0)).toBe('127.0.11.66')
    expect(networkCidr(2816)).toBe('127.0.11.0/26')
  })

  it('keeps every slot of a network inside its own /26', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 200_000}), fc.integer({min: 0, max: MAX_SLOTS - 1}), (n, slot) => {
        const id = networkIdAt(n)
        const ip = serviceIp(id, slot).split('.').map(Number)
        const value = (ip[1] << 16) | (ip[2] << 8) | ip[3]
        expect(value - id).toBe(slot + 2)
        expect(Math.floor(value / 64)).toBe(Math.floor(id / 64))
        expect(isValidNetworkId(id)).toBe(true)
      }),
    )
  })

  it('refuses slots outside 0..60', () => {
    expect(() => serviceIp(2816, 61)).toThrow(/0\.\.60/)
    expect(() => serviceIp(2816, -1)).toThrow()
  })

  it('finds the lowest free network id', () => {
    expect(nextFreeNetworkId([])).toBe(2816)
    expect(nextFreeNetworkId([2816, 2944])).toBe(2880)
  })

  it('names service IP variables as the guide does', () => {
    expect(serviceIpVar('listmonk-app')).toBe('LISTMONK_APP_IP')
    expect(serviceIpVar('webapp')).toBe('WEBAPP_IP')
    expect(serviceIpVar('9lives')).toBeNull()
    expect(serviceIpVar('a b')).toBeNull()
  })
})
