/**
 * Which port an automatic HTTPS route points at. The guide's non-HTTP ports (databases, caches, brokers, mail and
 * DNS: the ports it pre-configures as TCP/UDP entry points, plus 25 and 53) never get one: Traefik would answer
 * `https://db-2816.example.com` with a 502 from a MySQL greeting, and the name would advertise the database.
 */
import {PRECONFIGURED_TCP_PORTS, PRECONFIGURED_UDP_PORTS} from '../../net/entrypoints.js'

export const NON_HTTP_PORTS: ReadonlySet<number> = new Set([...PRECONFIGURED_TCP_PORTS, ...PRECONFIGURED_UDP_PORTS, 25])

export type AutoPort = {port: number} | {port: undefined; reason?: string}

/**
 * `rediacc.service_port` when set (the user said so), else the first declared TCP port that is not a non-HTTP
 * one. When every declared port is non-HTTP, the reason says so (shown in /health as the container's skip).
 */
export function autoRoutePort(servicePort: number | undefined, tcpPorts: readonly number[]): AutoPort {
  if (servicePort !== undefined) return {port: servicePort}
  const http = tcpPorts.find((port) => !NON_HTTP_PORTS.has(port))
  if (http !== undefined) return {port: http}
  if (tcpPorts.length === 0) return {port: undefined}
  return {
    port: undefined,
    reason: `no automatic HTTPS route: port${tcpPorts.length === 1 ? '' : 's'} ${tcpPorts.join(', ')} ${tcpPorts.length === 1 ? 'is' : 'are'} not HTTP (a database, cache, broker, mail or DNS port); route it with traefik.tcp labels on an entry point such as tcp-${tcpPorts[0]}, or set rediacc.service_port if it does speak HTTP`,
  }
}
