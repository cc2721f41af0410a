import {describe, expect, it} from 'vitest'

import type {RouteView} from '../diagnose/parse/router.js'
import type {TlsResult} from '../renet/probe/types.js'
import {certificateView, routeRows} from './service.js'
import {certificatesStep} from './steps.js'

const NOW = new Date('2026-12-06T00:00:00Z')
const cert = (over: Partial<NonNullable<TlsResult['cert']>>): TlsResult => ({
  id: 'tls:app.example.com',
  kind: 'tls',
  outcome: 'ok',
  durationMs: 3,
  cert: {subjectCN: 'app.example.com', issuerCN: 'R11', issuerO: "Let's Encrypt", notBefore: '2026-11-01T00:00:00.000Z', notAfter: '2027-01-30T00:00:00.000Z', sans: ['app.example.com'], selfSigned: false, traefikDefault: false, matchesName: true, fingerprint256: 'x', ...over},
})

describe('rdc routes', () => {
  it('one row per hostname, entry points for a route without one, the repository from the network id', () => {
    const routes: RouteView[] = [
      {protocol: 'http', name: 'webapp-2816', hosts: ['app.example.com', 'www.example.com'], entryPoints: ['websecure'], backends: ['http://127.0.11.3:3000'], networkId: 2816, container: 'webapp_webapp_1', source: 'labels'},
      {protocol: 'udp', name: 'dns-2880', hosts: [], entryPoints: ['udp-53'], backends: ['127.0.11.66:53'], networkId: 2880, container: 'x', source: 'labels'},
    ]
    const rows = routeRows('m1', routes, new Map([[2816, 'webapp']]))
    expect(rows.map((r) => [r.host, r.repository, r.tier])).toEqual([['app.example.com', 'webapp', 'labels'], ['www.example.com', 'webapp', 'labels'], [null, null, 'labels']])
    expect(rows[2]).toMatchObject({protocol: 'udp', entryPoints: ['udp-53'], networkId: 2880})
  })

  it("certificates: issuer, expiry, days left; Traefik's default and a name not covered say so", () => {
    expect(certificateView(cert({}), NOW)).toEqual({status: 'ok', issuer: "Let's Encrypt R11", notAfter: '2027-01-30T00:00:00.000Z', daysLeft: 55})
    expect(certificateView(cert({notAfter: '2026-12-19T00:00:00.000Z'}), NOW)).toMatchObject({status: 'ok', daysLeft: 13, renewalOverdue: true})
    expect(certificateView(cert({traefikDefault: true, issuerO: '', issuerCN: 'TRAEFIK DEFAULT CERT'}), NOW).status).toBe('default')
    expect(certificateView(cert({matchesName: false}), NOW).status).toBe('mismatch')
    expect(certificateView({id: 'tls:x', kind: 'tls', outcome: 'timeout', durationMs: 3000}, NOW)).toEqual({status: 'unreachable', error: 'timeout'})
  })

  it('reads every name in one renet probe at the HTTPS address', () => {
    const step = certificatesStep(['a.example.com', 'b.example.com'], '203.0.113.50')
    expect(step.argv.slice(0, 3)).toEqual(['/usr/bin/renet', 'probe', '--json'])
    expect(JSON.parse(step.argv[3]!).checks).toEqual([
      {id: 'tls:a.example.com', kind: 'tls', host: '203.0.113.50', port: 443, servername: 'a.example.com'},
      {id: 'tls:b.example.com', kind: 'tls', host: '203.0.113.50', port: 443, servername: 'b.example.com'},
    ])
  })
})

describe('rdc routes agrees with diagnose', () => {
  it('on when renewal is overdue', async () => {
    const {RENEWAL_OVERDUE_DAYS: diagnoseDays} = await import('../diagnose/checks/tls.js')
    const {RENEWAL_OVERDUE_DAYS} = await import('./service.js')
    expect(RENEWAL_OVERDUE_DAYS).toBe(diagnoseDays)
  })
})
