import {describe, expect, it} from 'vitest'

import {daemonNetwork} from '../../net/daemon-network.js'
import {daemonConfig, downCommands, upCommands} from './steps.js'

describe('renet net', () => {
  const net = daemonNetwork(2880)
  it("gives the daemon its bridge and pool, and NAT, forwarding and isolation for the repository's /22", () => {
    expect(daemonConfig(net)).toEqual({bridge: 'rdc2880', 'default-address-pools': [{base: '10.64.6.0/23', size: 26}]})
    const argv = upCommands(net).map((c) => c.argv.join(' '))
    expect(argv).toEqual([
      'ip link add rdc2880 type bridge',
      'ip addr replace 10.64.4.1/24 dev rdc2880',
      'ip link set rdc2880 up',
      'iptables -w -N RDC-2880',
      'iptables -w -F RDC-2880',
      'iptables -w -A RDC-2880 -d 10.64.4.0/22 -j ACCEPT',
      'iptables -w -A RDC-2880 -d 10.64.0.0/10 -j DROP',
      'iptables -w -A RDC-2880 -j ACCEPT',
      'iptables -w -I FORWARD 1 -s 10.64.4.0/22 -j RDC-2880',
      'iptables -w -I FORWARD 1 -d 10.64.4.0/22 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'iptables -w -t nat -A POSTROUTING -s 10.64.4.0/22 ! -d 10.64.4.0/22 -j MASQUERADE',
    ])
    // Every add is checked first, so a second run (a restart) adds nothing twice.
    expect(upCommands(net).filter((c) => c.argv.includes('-I') || c.argv.includes('-A') && c.argv.includes('POSTROUTING')).every((c) => c.unless?.includes('-C'))).toBe(true)
  })

  it('down removes what up added, each step allowed to find it gone', () => {
    const down = downCommands(net)
    expect(down.every((c) => c.mayFail)).toBe(true)
    expect(down.map((c) => c.argv.join(' '))).toContain('iptables -w -t nat -D POSTROUTING -s 10.64.4.0/22 ! -d 10.64.4.0/22 -j MASQUERADE')
    expect(down.at(-1)?.argv).toEqual(['ip', 'link', 'del', 'rdc2880'])
  })
})
