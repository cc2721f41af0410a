import {describe, expect, it} from 'vitest'

import {daemonNetwork, MAX_BRIDGED_REPOSITORIES} from './daemon-network.js'
import {networkIdAt} from './network.js'

describe('daemonNetwork', () => {
  it("derives each repository's subnets from its network id", () => {
    expect(daemonNetwork(2816)).toEqual({
      networkId: 2816,
      block: '10.64.0.0/22',
      bridge: 'rdc2816',
      bridgeAddress: '10.64.0.1/24',
      pool: {base: '10.64.2.0/23', size: 26},
      chain: 'RDC-2816',
    })
    expect(daemonNetwork(2880).block).toBe('10.64.4.0/22')
    expect(daemonNetwork(networkIdAt(MAX_BRIDGED_REPOSITORIES - 1)).block).toBe('10.127.252.0/22')
    expect(() => daemonNetwork(networkIdAt(MAX_BRIDGED_REPOSITORIES))).toThrow(/past the 4096 repositories/)
  })

  it('never gives two repositories overlapping blocks, and bridge names fit Linux', () => {
    const seen = new Set<string>()
    for (let n = 0; n < MAX_BRIDGED_REPOSITORIES; n += 97) {
      const net = daemonNetwork(networkIdAt(n))
      expect(seen.has(net.block)).toBe(false)
      seen.add(net.block)
      expect(net.bridge.length).toBeLessThanOrEqual(15)
    }
  })
})
