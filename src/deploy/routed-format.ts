/** Human output of what `repo up` got routed (the --json answer is the RoutingReport itself). */
import {section, table} from '../output/format.js'
import type {RoutingReport} from './routed.js'

export function formatRouting(r: RoutingReport): string {
  const parts: string[] = []
  if (r.error !== undefined) parts.push(`Routes unknown: ${r.error}.`)
  const routes = r.routes.map((x) => ({
    ...x,
    from: x.hosts.length > 0 ? x.hosts.join(', ') : x.entryPoints.join(', '),
    via: x.protocol === 'http' ? x.entryPoints.join(', ') : x.protocol,
  }))
  parts.push(
    routes.length === 0
      ? 'Routes: none.'
      : section(
          'Routes:',
          table(routes, [
            {header: 'container', get: (x) => x.container},
            {header: 'router', get: (x) => x.router},
            {header: 'hostname / entry point', get: (x) => x.from},
            {header: 'via', get: (x) => x.via},
            {header: 'backend', get: (x) => x.backends.join(', ')},
          ]),
        ),
  )
  if (r.problems.length > 0) {
    const lines = r.problems.map((p) => `${p.container}${p.object ? ` (${p.object})` : ''}: ${p.kind === 'skipped' ? 'skipped' : `refused (${p.kind})`}: ${p.reason}\n  fix: ${p.fix}`)
    parts.push(section('Not routed:', lines.join('\n')))
  }

  if (r.disabled.length > 0) parts.push(`traefik.enable=false (not routed, on purpose): ${r.disabled.join(', ')}`)
  if (r.notSeen.length > 0) parts.push(`The route server had not reported on ${r.notSeen.join(', ')} after ${(r.waitedMs / 1000).toFixed(1)} s.`)
  if (r.unrouted.length > 0) parts.push(`traefik.enable=true but no route: ${r.unrouted.join(', ')}`)
  if (r.https !== undefined) {
    parts.push(
      r.https.hosts.length === 0
        ? 'HTTPS: no hostname to wait for.'
        : section(
            `HTTPS (waited ${(r.https.waitedMs / 1000).toFixed(1)} s):`,
            table(r.https.hosts, [
              {header: 'hostname', get: (h) => h.name},
              {header: 'certificate', get: (h) => h.status},
              {header: 'detail', get: (h) => h.detail},
            ]),
          ),
    )
  }

  return parts.join('\n\n')
}
