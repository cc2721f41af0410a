import {BlockList, isIPv4, isIPv6} from 'node:net'

/**
 * Address ranges that are never a server's public address: private, loopback, link-local, shared (CGNAT),
 * documentation, benchmarking, multicast and reserved. Traefik would bind them, but nobody on the internet could
 * reach them, so a public-address flag refuses them unless --allow-private says this is a lab.
 */
const NON_PUBLIC_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1)'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2)'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

const NON_PUBLIC_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
]

function lists(ranges: Array<[string, number, string]>, family: 'ipv4' | 'ipv6'): Array<[BlockList, string]> {
  return ranges.map(([net, prefix, why]) => {
    const list = new BlockList()
    list.addSubnet(net, prefix, family)
    return [list, why]
  })
}

let v4: Array<[BlockList, string]> | undefined
let v6: Array<[BlockList, string]> | undefined

/** Why an address is not public (e.g. "loopback"), or undefined when it is a public unicast address. */
export function nonPublicReason(address: string): string | undefined {
  if (isIPv4(address)) {
    v4 ??= lists(NON_PUBLIC_V4, 'ipv4')
    return v4.find(([list]) => list.check(address, 'ipv4'))?.[1]
  }
  if (isIPv6(address)) {
    v6 ??= lists(NON_PUBLIC_V6, 'ipv6')
    return v6.find(([list]) => list.check(address, 'ipv6'))?.[1]
  }
  return 'not an IP address'
}
