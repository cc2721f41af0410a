/**
 * Repository isolation on one container's labels (label-isolation.ts), one row per rule: what is refused, under
 * which kind, and that nothing refused is served. isolation.test.ts has the value-level rules behind these;
 * isolation-labels.test.ts plays them through the whole builder with two repositories.
 */
import {describe, expect, it} from 'vitest'

import {planContainer} from './plan.js'
import type {Plan, PlanSettings} from './plan-model.js'
import type {ContainerInfo, RefusalReason} from './types.js'

const NID = 2816
const SETTINGS: PlanSettings = {
  baseDomain: 'example.com',
  entrypoints: ['web', 'websecure', 'tcp-5432', 'udp-53'],
  httpsEntrypoints: ['websecure'],
  certResolver: 'letsencrypt',
  localAddresses: ['127.0.0.1', '10.5.0.2'],
  localNames: ['server-1'],
}

/**
 * One HTTP router `r` and one service `s` of this repository, which each row adds to or changes. Routers and
 * services a row adds have names of their own, so a refused object's name is not served by another one.
 */
const BASE = {
  'traefik.enable': 'true',
  'traefik.http.routers.r.rule': 'Host(`r.example.com`)',
  'traefik.http.services.s.loadbalancer.server.port': '8080',
}

function plan(labels: Record<string, string>, base: Record<string, string> = BASE): Plan {
  const c: ContainerInfo = {
    id: 'c1',
    name: 'app-web-1',
    created: 1,
    health: '',
    labels: {'rediacc.service_name': 'web', 'rediacc.service_ip': '127.0.11.2', 'rediacc.network_id': String(NID), 'rediacc.tcp_ports': '8080', ...base, ...labels},
  }
  return planContainer(c, NID, SETTINGS)
}

function served(p: Plan): string[] {
  return [
    ...p.routers.map((r) => r.name),
    ...Object.keys(p.services.http),
    ...Object.keys(p.services.tcp),
    ...Object.keys(p.services.udp),
    ...Object.keys(p.middlewares.http),
    ...Object.keys(p.middlewares.tcp),
  ]
}

type Row = [what: string, labels: Record<string, string>, refused: Array<[object: string, kind: RefusalReason]>, reason: RegExp]

const REFUSED: Row[] = [
  // traefik.tls.* is global in Traefik: refused, the container's own routers still count.
  ['traefik.tls.*', {'traefik.tls.stores.default.defaultgeneratedcert.resolver': 'evil'}, [['', 'global-tls']], /applies to every repository/],
  // '@' in a name poses as another provider: the whole container is refused.
  ["'@' in a router name", {'traefik.http.routers.x@file.rule': 'Host(`x.example.com`)'}, [['x@file', 'foreign-reference']], /router name x@file contains '@'/],
  ["'@' in a service name", {'traefik.http.services.t@file.loadbalancer.server.port': '80', 'traefik.http.routers.r.service': 's'}, [['t@file', 'foreign-reference']], /service name t@file/],
  ["'@' in a middleware name", {'traefik.http.middlewares.m@file.headers.stsSeconds': '60'}, [['m@file', 'foreign-reference']], /middleware name m@file/],
  // References to another provider.
  ['a router service @internal', {'traefik.http.routers.r.service': 'api@internal'}, [['r', 'foreign-reference']], /router r refers to api@internal/],
  ['a router middleware @file', {'traefik.http.routers.r.middlewares': 'auth@file'}, [['r', 'foreign-reference']], /refers to auth@file/],
  ['router tls.options @file', {'traefik.http.routers.r.tls.options': 'strict@file'}, [['r', 'foreign-reference']], /refers to strict@file/],
  ['a chain of another provider', {'traefik.http.middlewares.c.chain.middlewares': 'auth@file'}, [['c', 'foreign-reference']], /middleware c refers to auth@file/],
  ['an errors service of another provider', {'traefik.http.middlewares.e.errors.service': 'err@file', 'traefik.http.middlewares.e.errors.status': '500'}, [['e', 'foreign-reference']], /middleware e refers to err@file/],
  ['a serversTransport of another provider', {'traefik.http.services.s.loadbalancer.serverstransport': 'insecure@file'}, [['s', 'foreign-reference']], /serversTransport insecure@file/],
  ['a service middleware of another provider', {'traefik.http.services.s.middlewares': 'auth@file'}, [['s', 'foreign-reference']], /service s refers to auth@file/],
  // forwardAuth: refused with every router and service that uses it.
  [
    'forwardAuth on loopback, and its users',
    {'traefik.http.middlewares.auth.forwardauth.address': 'http://127.0.0.1:9000/auth', 'traefik.http.routers.r.middlewares': 'auth', 'traefik.http.services.s.middlewares': 'auth'},
    [['auth', 'foreign-backend'], ['s', 'foreign-backend'], ['r', 'foreign-backend']],
    /loopback/,
  ],
  ["forwardAuth at this machine's own address", {'traefik.http.middlewares.auth.forwardauth.address': 'http://10.5.0.2/auth'}, [['auth', 'foreign-backend']], /this machine's own address/],
  ["forwardAuth at this machine's name", {'traefik.http.middlewares.auth.forwardauth.address': 'http://server-1/auth'}, [['auth', 'foreign-backend']], /this machine's own name/],
  ['forwardAuth under the base domain', {'traefik.http.middlewares.auth.forwardauth.address': 'https://auth.example.com/'}, [['auth', 'foreign-backend']], /base domain/],
  ["forwardAuth at another repository's service IP", {'traefik.http.middlewares.auth.forwardauth.address': 'http://127.0.11.66/'}, [['auth', 'foreign-backend']], /loopback/],
  // Backends are the container's own service IP.
  ['loadbalancer.server.url', {'traefik.http.services.s.loadbalancer.server.url': 'http://10.0.0.1:80'}, [['s', 'foreign-backend']], /server\.url is not accepted/],
  ['a port that is not a port', {'traefik.http.services.s.loadbalancer.server.port': '80@10.0.0.1'}, [['s', 'foreign-backend']], /is not a port/],
  ['a scheme Traefik does not have', {'traefik.http.services.s.loadbalancer.server.scheme': 'ftp'}, [['s', 'foreign-backend']], /scheme "ftp"/],
  ['a health-check path that is an address', {'traefik.http.services.s.loadbalancer.healthcheck.path': '//10.0.0.1/health'}, [['s', 'foreign-backend']], /health check path/],
  ['a TCP service port that is not a port', {'traefik.tcp.routers.t.rule': 'HostSNI(`*`)', 'traefik.tcp.routers.t.entrypoints': 'tcp-5432', 'traefik.tcp.services.t.loadbalancer.server.port': '5432:1'}, [['t', 'foreign-backend']], /is not a port/],
  // Rules and hostnames.
  ['a rule not limited to Host names', {'traefik.http.routers.r.rule': 'PathPrefix(`/`)'}, [['r', 'unrestricted-rule']], /limited to Host/],
  ['a rule with || PathPrefix', {'traefik.http.routers.r.rule': 'Host(`r.example.com`) || PathPrefix(`/`)'}, [['r', 'unrestricted-rule']], /limited to Host/],
  ['an unknown ruleSyntax', {'traefik.http.routers.r.rulesyntax': 'v1'}, [['r', 'unrestricted-rule']], /ruleSyntax 'v1'/],
  ['a hostname that is not a DNS name', {'traefik.http.routers.r.rule': 'Host(`a..example.com`)'}, [['r', 'invalid-hostname']], /not a DNS name/],
  ["another repository's automatic hostname", {'traefik.http.routers.r.rule': 'Host(`web-2880.example.com`)'}, [['r', 'foreign-hostname']], /automatic hostname of repository 2880/],
  // Entry points.
  ['an entry point this machine does not have', {'traefik.http.routers.r.entrypoints': 'admin'}, [['r', 'unknown-entrypoint']], /'admin' does not exist/],
  ['a UDP router on a TCP entry point', {'traefik.udp.routers.u.entrypoints': 'tcp-5432', 'traefik.udp.services.dns.loadbalancer.server.port': '53'}, [['u', 'unknown-entrypoint']], /cannot use TCP entry point/],
  ['a TCP router without TLS on websecure', {'traefik.tcp.routers.t.rule': 'HostSNI(`*`)', 'traefik.tcp.routers.t.entrypoints': 'websecure', 'traefik.tcp.services.pg.loadbalancer.server.port': '5432'}, [['t', 'shared-entrypoint']], /without TLS/],
  ['HostSNI(`*`) with TLS on websecure', {'traefik.tcp.routers.t.rule': 'HostSNI(`*`)', 'traefik.tcp.routers.t.entrypoints': 'websecure', 'traefik.tcp.routers.t.tls': 'true', 'traefik.tcp.services.pg.loadbalancer.server.port': '5432'}, [['t', 'shared-entrypoint']], /HostSNI/],
]

describe('label isolation refuses', () => {
  it.each(REFUSED)('%s', (_what, labels, refused, reason) => {
    const p = plan(labels)
    expect(p.skipped).toBeNull()
    expect(p.refusals.map((r) => [r.object ?? '', r.kind])).toEqual(refused)
    expect(p.refusals.map((r) => r.reason).join('\n')).toMatch(reason)
    for (const [object] of refused) if (object !== '') expect(served(p)).not.toContain(`${object}-${NID}`)
  })
})

describe('label isolation keeps', () => {
  it("this repository's names, made unique, with every reference rewritten", () => {
    const p = plan({
      'traefik.http.routers.r.middlewares': 'both',
      'traefik.http.middlewares.both.chain.middlewares': 'hsts,oops',
      'traefik.http.middlewares.hsts.headers.stsSeconds': '60',
      'traefik.http.middlewares.oops.errors.service': 's',
      'traefik.http.middlewares.oops.errors.status': '500',
      'traefik.http.services.s.middlewares': 'hsts',
    })
    expect(p.refusals).toEqual([])
    expect(p.routers.map((r) => [r.name, r.router.service, r.router.middlewares])).toEqual([['r-2816', 's-2816', ['both-2816']]])
    expect(p.middlewares.http['both-2816'].chain.middlewares).toEqual(['hsts-2816', 'oops-2816'])
    expect(p.middlewares.http['oops-2816'].errors.service).toBe('s-2816')
    expect(p.services.http['s-2816'].middlewares).toEqual(['hsts-2816'])
    expect(p.services.http['s-2816'].loadBalancer.servers).toEqual([{url: 'http://127.0.11.2:8080'}])
  })

  it("a forwardAuth at the repository's own service IP or outside this machine", () => {
    for (const address of ['http://127.0.11.3:9000/auth', 'https://auth.other.org/verify']) {
      const p = plan({'traefik.http.middlewares.auth.forwardauth.address': address, 'traefik.http.routers.r.middlewares': 'auth'})
      expect(p.refusals).toEqual([])
      expect(p.middlewares.http['auth-2816']).toEqual({forwardAuth: {address}})
      expect(p.routers[0].router.middlewares).toEqual(['auth-2816'])
    }
  })

  it('a TLS TCP router for a name of its own on websecure, and HostSNI(`*`) on a TCP port', () => {
    const p = plan(
      {
        'traefik.tcp.routers.db.rule': 'HostSNI(`db.example.com`)',
        'traefik.tcp.routers.db.entrypoints': 'websecure',
        'traefik.tcp.routers.db.tls': 'true',
        'traefik.tcp.routers.pg.rule': 'HostSNI(`*`)',
        'traefik.tcp.routers.pg.entrypoints': 'tcp-5432',
        'traefik.tcp.routers.pg.service': 'db',
        'traefik.tcp.services.db.loadbalancer.server.port': '5432',
      },
      {'traefik.enable': 'true'},
    )
    expect(p.refusals).toEqual([])
    expect(p.routers.map((r) => [r.name, r.hosts, r.router.service])).toEqual([
      ['db-2816', ['db.example.com'], 'db-2816'],
      ['pg-2816', ['*'], 'db-2816'],
    ])
    expect(p.services.tcp['db-2816'].loadBalancer.servers).toEqual([{address: '127.0.11.2:5432'}])
  })
})
