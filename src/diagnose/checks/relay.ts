import {isIP} from 'node:net'

import type {InfraView} from '../facts.js'
import {fail, ok, type Finding} from '../finding.js'
import {sameIp} from '../ip.js'
import type {ContainerState} from '../parse/docker.js'
import type {RouteView} from '../parse/router.js'

/** Private, loopback, link-local and CGNAT ranges: not what a relay advertises to the internet. */
function isPublicV4(ip: string): boolean {
  const [a = 0, b = 0] = ip.split('.').map(Number)
  return !(a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) || a >= 224)
}

/** Public IP literals in the container's environment and command: what a STUN/TURN relay tells its clients. */
export function advertisedAddresses(container: ContainerState): string[] {
  const text = [...(container.env ?? []), ...(container.cmd ?? [])].join(' ')
  const v4 = [...text.matchAll(/(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])/g)].map((m) => m[1]!).filter((ip) => isIP(ip) === 4 && isPublicV4(ip))
  const v6 = [...text.matchAll(/(?<![\w:])([0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:])/gi)]
    .map((m) => m[1]!)
    .filter((ip) => isIP(ip) === 6 && !/^(fe80|fc|fd|::1$)/i.test(ip))
  return [...new Set([...v4, ...v6])]
}

/**
 * STUN/TURN relays read their public address once, at start. A UDP service whose container still advertises an
 * address that is no longer one of the machine's public IPs hands clients a dead relay address.
 */
export function checkRelay(route: RouteView, container: ContainerState, infra: InfraView, repo: string | undefined): Finding | undefined {
  const advertised = advertisedAddresses(container)
  if (advertised.length === 0) return undefined
  const current = [infra.publicIPv4, infra.publicIPv6].filter((x): x is string => x !== undefined)
  const stale = advertised.filter((ip) => !current.some((c) => sameIp(c, ip)))
  const subject = route.container ?? route.name
  if (stale.length === 0) return ok('relay', `relay advertises ${advertised.join(', ')}, the machine's public address`, {subject})
  const service = route.composeService ?? '<service>'
  return fail(
    'relay',
    `the STUN/TURN relay advertises ${stale.join(', ')} (read when it started${container.startedAt ? ` at ${container.startedAt}` : ''}), but the machine's public address is ${current.join(', ') || 'not set'}`,
    `update the address in its settings if it is written there, then recreate the service so it reads the new network config: ${repo ? `rdc repo up ${repo}` : 'rdc repo up <repo>'} (on the server: renet compose -- up -d --force-recreate ${service})`,
    {subject},
  )
}
