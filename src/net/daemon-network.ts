/**
 * The IPv4 addresses a repository's own Docker daemon gives its containers (shared by the CLI and renet).
 * Each repository owns a /22 of 10.64.0.0/10 derived from its network id, so two repositories never share a
 * subnet: the first /24 is its default bridge (`docker run`, builds), the upper /23 is the pool compose networks
 * are cut from (eight /26, 62 containers each). NAT and forwarding are set up for the whole /22.
 */
import {FIRST_NETWORK_ID, NETWORK_ID_STEP} from './network.js'

/** All repositories' container addresses; nothing else on the server may use it. */
export const CONTAINER_SUPERNET = '10.64.0.0/10'
const SUPERNET_BASE = (10 << 24) | (64 << 16)
const BLOCK_BITS = 22
/** Repositories that fit: 2^(22-10). */
export const MAX_BRIDGED_REPOSITORIES = 1 << (BLOCK_BITS - 10)

export interface DaemonNetwork {
  networkId: number
  /** The repository's /22: NAT, forwarding and isolation are written for it. */
  block: string
  /** Name of the default bridge (≤ 15 characters, as Linux wants). */
  bridge: string
  /** The bridge's own address with its prefix, the default gateway of `docker run` containers. */
  bridgeAddress: string
  /** `default-address-pools` entry for compose networks. */
  pool: {base: string; size: number}
  /** A name for the repository's iptables chain. */
  chain: string
}

function ip(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.')
}

export function daemonNetwork(networkId: number): DaemonNetwork {
  const index = (networkId - FIRST_NETWORK_ID) / NETWORK_ID_STEP
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`not a network id: ${networkId}`)
  if (index >= MAX_BRIDGED_REPOSITORIES) {
    throw new RangeError(`network id ${networkId} is past the ${MAX_BRIDGED_REPOSITORIES} repositories whose containers have their own subnets in ${CONTAINER_SUPERNET}`)
  }

  const base = (SUPERNET_BASE + index * (1 << (32 - BLOCK_BITS))) >>> 0
  return {
    networkId,
    block: `${ip(base)}/${BLOCK_BITS}`,
    bridge: `rdc${networkId}`,
    bridgeAddress: `${ip(base + 1)}/24`,
    pool: {base: `${ip(base + 512)}/23`, size: 26},
    chain: `RDC-${networkId}`,
  }
}
