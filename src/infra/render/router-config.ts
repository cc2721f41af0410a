import {DYNAMIC_TCP_RANGE, type EntryPointInput, ROUTER_PORT} from '../../net/entrypoints.js'
import {ROUTER_STATE_DIR, SOCKET_DIR, TRAEFIK_CONFIG_PATH} from '../../layout/server.js'
import {CERT_RESOLVER} from './traefik.js'

export const ROUTER_CONFIG_VERSION = 1

export interface RouterConfigInput extends EntryPointInput {
  machineName: string
  baseDomain?: string
}

/** Plain YAML scalar when it is unambiguous, else a double-quoted (JSON) one. */
function scalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) ? value : JSON.stringify(value)
}

/**
 * /etc/rediacc/router.yaml, the route server's settings. It names traefik.yml instead of listing entry points:
 * the route server takes the names from that file's `entryPoints` (re-reading it when it changes), so routes never
 * name an entry point Traefik lacks, and a TCP/UDP port change touches only the proxy's files, never this one
 * (so it restarts only the proxy). The input keeps the address fields so a caller can pass the whole settings.
 */
export function renderRouterConfig(input: RouterConfigInput): string {
  const lines = [
    `version: ${ROUTER_CONFIG_VERSION}`,
    `machine: ${scalar(input.machineName)}`,
    ...(input.baseDomain ? [`baseDomain: ${scalar(input.baseDomain)}`] : []),
    `listen: 127.0.0.1:${ROUTER_PORT}`,
    `socketDir: ${SOCKET_DIR}`,
    `stateDir: ${ROUTER_STATE_DIR}`,
    `certResolver: ${CERT_RESOLVER}`,
    `traefikConfig: ${TRAEFIK_CONFIG_PATH}`,
    `dynamicPorts: {tcp: {from: ${DYNAMIC_TCP_RANGE.from}, to: ${DYNAMIC_TCP_RANGE.to}}}`,
  ]
  return `${lines.join('\n')}\n`
}
