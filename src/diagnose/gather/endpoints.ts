import {HOST_DOCKER_SOCKET, PROXY_CONTAINER, ROUTER_URL, SOCKET_DIR} from '../../layout/server.js'
import {HTTPS_PORT, TRAEFIK_INTERNAL_PORT} from '../../net/entrypoints.js'

/** Where the gatherers look on a server; tests point them elsewhere. */
export interface ServerEndpoints {
  /** The route server, e.g. http://127.0.0.1:7111 */
  router: string
  /** Traefik's internal entry point (ping + API), e.g. http://127.0.0.1:8082 */
  traefik: string
  /** The Docker daemon that runs rediacc-proxy. */
  dockerSocket: string
  /** Folder of the repository daemons' sockets (docker-<id>.sock). */
  daemonSocketDir: string
  /** Name of the proxy container. */
  proxyContainer: string
  /** Port of the HTTPS entry points, where certificates are read. */
  httpsPort: number
}

export const DEFAULT_ENDPOINTS: ServerEndpoints = {
  router: ROUTER_URL,
  traefik: `http://127.0.0.1:${TRAEFIK_INTERNAL_PORT}`,
  dockerSocket: HOST_DOCKER_SOCKET,
  daemonSocketDir: SOCKET_DIR,
  proxyContainer: PROXY_CONTAINER,
  httpsPort: HTTPS_PORT,
}
