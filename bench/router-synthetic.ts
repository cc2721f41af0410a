// Synthetic input for the route server benchmark: realistic label sets, no Docker needed.
import type {DaemonContainers} from '../src/renet/router/build.js'
import type {ContainerInfo} from '../src/renet/router/types.js'

export function ip(v: number): string {
  return `127.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`
}

/** 1,000 containers over 20 daemons: 60 % automatic routes, 35 % HTTP labels with middlewares, 5 % TCP. */
export function syntheticDaemons(total = 1000, daemons = 20): DaemonContainers[] {
  const out: DaemonContainers[] = []
  for (let d = 0; d < daemons; d++) {
    const networkId = 2816 + 64 * d
    const containers: ContainerInfo[] = []
    for (let s = 0; s < total / daemons; s++) {
      const i = d * (total / daemons) + s
      const base = {'rediacc.service_name': `svc${s}`, 'rediacc.service_ip': ip(networkId + s + 2), 'rediacc.network_id': String(networkId), 'rediacc.tcp_ports': '8080'}
      let labels: Record<string, string> = base
      if (i % 20 === 0) {
        labels = {...base, 'traefik.enable': 'true', [`traefik.tcp.routers.db${s}.entrypoints`]: 'tcp-5432', [`traefik.tcp.routers.db${s}.rule`]: `HostSNI(\`db${s}-${networkId}.example.com\`)`, [`traefik.tcp.routers.db${s}.tls.passthrough`]: 'true'}
      } else if (i % 20 < 8) {
        labels = {
          ...base,
          'traefik.enable': 'true',
          [`traefik.http.routers.app${s}.rule`]: `Host(\`app${s}.r${networkId}.example.org\`)`,
          [`traefik.http.routers.app${s}.entrypoints`]: 'websecure,websecure-v6',
          [`traefik.http.routers.app${s}.tls.certresolver`]: 'letsencrypt',
          [`traefik.http.routers.app${s}.middlewares`]: `hsts${s},buf${s}`,
          [`traefik.http.services.app${s}.loadbalancer.server.port`]: '3000',
          [`traefik.http.middlewares.hsts${s}.headers.stsSeconds`]: '15768000',
          [`traefik.http.middlewares.hsts${s}.headers.stsIncludeSubdomains`]: 'true',
          [`traefik.http.middlewares.buf${s}.buffering.maxRequestBodyBytes`]: '536870912',
        }
      }

      containers.push({id: `${networkId}-${s}`.padEnd(64, '0'), name: `svc${s}`, labels, created: 1_700_000_000 + i, health: ''})
    }

    out.push({networkId, containers})
  }

  return out
}
