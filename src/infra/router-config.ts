import {DYNAMIC_TCP_RANGE, type EntryPointInput, ROUTER_PORT} from '../net/entrypoints.js'
import {ROUTER_STATE_DIR, SOCKET_DIR} from './layout.js'
import {CERT_RESOLVER, routableEntryPointNames} from './traefik.js'

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
 * /etc/rediacc/router.yaml, the route server's settings. The route server reads exactly these keys; the entry
 * point list is the one traefik.yml defines, so routes never name an entry point Traefik lacks.
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
    `entrypoints: [${routableEntryPointNames(input).join(', ')}]`,
    `dynamicPorts: {tcp: {from: ${DYNAMIC_TCP_RANGE.from}, to: ${DYNAMIC_TCP_RANGE.to}}}`,
  ]
  return `${lines.join('\n')}\n`
}
