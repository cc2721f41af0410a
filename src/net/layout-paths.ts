/** Server paths the CLI (unit rendering) and renet (writing them) must agree on. */
import {SOCKET_DIR} from '../infra/layout.js'

/** The per-repository dockerd's config file (bridge and address pool), written by `renet net up`. */
export function daemonConfigPath(networkId: number | string): string {
  return `${SOCKET_DIR}/dockerd-${networkId}.json`
}
