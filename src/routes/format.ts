import {table} from '../output/format.js'
import type {CertificateView, RoutesResult} from './service.js'

function certificate(c: CertificateView | undefined): string {
  if (!c) return '-'
  if (c.status === 'unreachable') return `no TLS answer (${c.error})`
  if (c.status === 'default') return "none yet (Traefik's default)"
  const until = `${c.issuer}, until ${c.notAfter!.slice(0, 10)} (${c.daysLeft} days)`
  return c.status === 'mismatch' ? `does not cover the name: ${until}` : `${until}${c.renewalOverdue ? ': renewal overdue' : ''}`
}

export function formatRoutes(r: RoutesResult): string {
  const lines: string[] = []
  if (r.routes.length > 0) {
    lines.push(
      table(r.routes, [
        ...(r.machines.length > 1 ? [{header: 'machine', get: (x: RoutesResult['routes'][number]) => x.machine}] : []),
        {header: 'host / entry point', get: (x) => x.host ?? `${x.protocol} ${x.entryPoints.join(',')}`},
        {header: 'backend', get: (x) => x.backends.join(', ')},
        {header: 'repository', get: (x) => x.repository ?? (x.networkId === null ? '-' : `network ${x.networkId}`)},
        {header: 'container', get: (x) => x.container ?? '-'},
        {header: 'tier', get: (x) => x.tier ?? '-'},
        {header: 'certificate', get: (x) => certificate(x.certificate)},
      ]),
    )
  } else lines.push('No routes.')
  for (const m of r.machines) if (m.error) lines.push(`${m.machine}: ${m.error}`)
  return lines.join('\n')
}
