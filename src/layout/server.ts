/**
 * Where things live on a server: one module that the CLI (push-infra's renderers and plan, `--out`, repo up/down,
 * diagnose) and renet (the route server, `renet net`, `renet compose`) both import, so neither spells a path or a
 * port the other does not know. Plain constants and string functions only: it is bundled into the Node-18 renet.
 */
import {ROUTER_PORT} from '../net/entrypoints.js'

export const PROXY_DIR = '/opt/rediacc/proxy'
export const TRAEFIK_CONFIG_PATH = `${PROXY_DIR}/traefik.yml`
export const PROXY_COMPOSE_PATH = `${PROXY_DIR}/docker-compose.yml`
export const PROXY_ENV_PATH = `${PROXY_DIR}/config.env`
export const ACME_STORAGE_PATH = `${PROXY_DIR}/letsencrypt/acme.json`
/** The same file as Traefik sees it inside the container (the letsencrypt/ folder is mounted there). */
export const ACME_STORAGE_IN_CONTAINER = '/letsencrypt/acme.json'
export const TRAEFIK_CONFIG_IN_CONTAINER = '/etc/traefik/traefik.yml'
/** CA certificates of a private ACME server (infra.acmeCaCertificates), mounted read-only beside traefik.yml. */
export const ACME_CA_PATH = `${PROXY_DIR}/acme-ca.pem`
export const ACME_CA_IN_CONTAINER = '/etc/traefik/acme-ca.pem'
export const PROXY_CONTAINER = 'rediacc-proxy'
export const PROXY_PROJECT = 'rediacc-proxy'

export const ROUTER_CONFIG_PATH = '/etc/rediacc/router.yaml'
export const ROUTER_UNIT = 'rediacc-router.service'
export const DOCKER_UNIT_TEMPLATE = 'rediacc-docker@.service'
export const UNIT_DIR = '/etc/systemd/system'
export const ROUTER_UNIT_PATH = `${UNIT_DIR}/${ROUTER_UNIT}`
export const DOCKER_UNIT_TEMPLATE_PATH = `${UNIT_DIR}/${DOCKER_UNIT_TEMPLATE}`

/** Folder of the repository daemons' sockets and their dockerd configs. */
export const SOCKET_DIR = '/var/run/rediacc'
export const ROUTER_STATE_DIR = '/var/lib/rediacc/router'
export const DOCKER_DATA_DIR = '/var/lib/rediacc/docker'
/** The host's own Docker daemon, which runs rediacc-proxy. */
export const HOST_DOCKER_SOCKET = '/var/run/docker.sock'

/** The route server on its loopback port: `/health`, `/routes.json`, `/ports`, Traefik's `/traefik`. */
export const ROUTER_ADDRESS = `127.0.0.1:${ROUTER_PORT}`
export const ROUTER_URL = `http://${ROUTER_ADDRESS}`

/** Where repositories live unless a machine names its own datastore. */
export const DEFAULT_DATASTORE = '/mnt/rediacc'

/** The socket of repository `networkId`'s own Docker daemon. */
export function daemonSocketPath(networkId: number | string): string {
  return `${SOCKET_DIR}/docker-${networkId}.sock`
}

/** DOCKER_HOST for repository `networkId`'s daemon. */
export function daemonDockerHost(networkId: number | string): string {
  return `unix://${daemonSocketPath(networkId)}`
}

/** The per-repository dockerd's config file (bridge and address pool), written by `renet net up`. */
export function daemonConfigPath(networkId: number | string): string {
  return `${SOCKET_DIR}/dockerd-${networkId}.json`
}

/** The systemd instance of the per-repository daemon template. */
export function daemonUnit(networkId: number | string): string {
  return DOCKER_UNIT_TEMPLATE.replace('@.', `@${networkId}.`)
}

export const RENET_LIB_DIR = '/usr/lib/rediacc/renet'
export const RENET_CURRENT_LINK = `${RENET_LIB_DIR}/current`
export const RENET_LAUNCHER_PATH = '/usr/bin/renet'

/** push-infra's own bookkeeping: the previous set (for restore) and actions still owed after a cut push. */
export const PUSH_STATE_DIR = '/var/lib/rediacc/push'
export const PUSH_BACKUP_DIR = `${PUSH_STATE_DIR}/backup`
export const PUSH_PENDING_PATH = `${PUSH_STATE_DIR}/pending`

/** First line of every file we render that has comments, so a person on the server knows not to edit it. */
export const MANAGED_HEADER = 'Managed by rdc (rdc context push-infra): local edits are overwritten on the next push.'
