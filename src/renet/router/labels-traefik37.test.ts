/**
 * Label fields Traefik 3.6/3.7 decode that an older bundled schema refused (issue 15), and the Docker
 * provider's behaviour the route server follows: traefik.enable=false, an empty server.port, server.url.
 */
import {describe, expect, it} from 'vitest'

import {decodeTraefikLabels} from './labels.js'
import {DISABLED, planContainer} from './plan.js'
import type {PlanSettings} from './plan-model.js'
import type {ContainerInfo} from './types.js'

const cases: Array<[string, Record<string, string>, unknown]> = [
  ['loadbalancer.strategy', {'traefik.http.services.s.loadbalancer.strategy': 'p2c'}, {http: {services: {s: {loadBalancer: {strategy: 'p2c'}}}}}],
  [
    'sticky.cookie.path/domain/maxage',
    {
      'traefik.http.services.s.loadbalancer.sticky.cookie.path': '/app',
      'traefik.http.services.s.loadbalancer.sticky.cookie.domain': 'example.com',
      'traefik.http.services.s.loadbalancer.sticky.cookie.maxage': '60',
    },
    {http: {services: {s: {loadBalancer: {sticky: {cookie: {path: '/app', domain: 'example.com', maxAge: 60}}}}}}},
  ],
  [
    'healthcheck.mode/status/unhealthyinterval',
    {
      'traefik.http.services.s.loadbalancer.healthcheck.mode': 'grpc',
      'traefik.http.services.s.loadbalancer.healthcheck.status': '204',
      'traefik.http.services.s.loadbalancer.healthcheck.unhealthyinterval': '3s',
    },
    {http: {services: {s: {loadBalancer: {healthCheck: {mode: 'grpc', status: 204, unhealthyInterval: '3s'}}}}}},
  ],
  ['server.preservepath', {'traefik.http.services.s.loadbalancer.server.preservepath': 'true'}, {http: {services: {s: {loadBalancer: {servers: [{preservePath: true}]}}}}}],
  [
    'routers.*.observability.accesslogs/metrics/tracing',
    {
      'traefik.http.routers.r.observability.accesslogs': 'false',
      'traefik.http.routers.r.observability.metrics': 'true',
      'traefik.http.routers.r.observability.tracing': 'false',
    },
    {http: {routers: {r: {observability: {accessLogs: false, metrics: true, tracing: false}}}}},
  ],
  ['ipstrategy.ipv6subnet', {'traefik.http.middlewares.m.ipallowlist.ipstrategy.ipv6subnet': '64'}, {http: {middlewares: {m: {ipAllowList: {ipStrategy: {ipv6Subnet: 64}}}}}}],
  ['forwardauth.tls.caoptional', {'traefik.http.middlewares.m.forwardauth.tls.caoptional': 'true'}, {http: {middlewares: {m: {forwardAuth: {tls: {caOptional: true}}}}}}],
  [
    'passtlsclientcert.info.serialnumber and subject.organizationalunit',
    {
      'traefik.http.middlewares.m.passtlsclientcert.info.serialnumber': 'true',
      'traefik.http.middlewares.m.passtlsclientcert.info.subject.organizationalunit': 'true',
    },
    {http: {middlewares: {m: {passTLSClientCert: {info: {serialNumber: true, subject: {organizationalUnit: true}}}}}}},
  ],
  ['TCP loadbalancer.proxyprotocol=true', {'traefik.tcp.services.s.loadbalancer.proxyprotocol': 'true'}, {tcp: {services: {s: {loadBalancer: {proxyProtocol: {}}}}}}],
  ['TCP server.tls', {'traefik.tcp.services.s.loadbalancer.server.tls': 'true'}, {tcp: {services: {s: {loadBalancer: {servers: [{tls: true}]}}}}}],
  [
    '3.7 retry fields',
    {
      'traefik.http.middlewares.m.retry.attempts': '3',
      'traefik.http.middlewares.m.retry.timeout': '2s',
      'traefik.http.middlewares.m.retry.status': '502, 503',
      'traefik.http.middlewares.m.retry.disableretryonnetworkerror': 'true',
      'traefik.http.middlewares.m.retry.retrynonidempotentmethod': 'true',
      'traefik.http.middlewares.m.retry.maxrequestbodybytes': '1024',
    },
    {http: {middlewares: {m: {retry: {attempts: 3, timeout: '2s', status: ['502', '503'], disableRetryOnNetworkError: true, retryNonIdempotentMethod: true, maxRequestBodyBytes: 1024}}}}},
  ],
  ['services.*.middlewares', {'traefik.http.services.s.middlewares': 'a, b'}, {http: {services: {s: {middlewares: ['a', 'b']}}}}],
  ['encodedCharacters.*', {'traefik.http.middlewares.m.encodedCharacters.allowEncodedSlash': 'true'}, {http: {middlewares: {m: {encodedCharacters: {allowEncodedSlash: true}}}}}],
  ['errors.errorRequestHeaders', {'traefik.http.middlewares.m.errors.errorRequestHeaders': 'X-A,X-B'}, {http: {middlewares: {m: {errors: {errorRequestHeaders: ['X-A', 'X-B']}}}}}],
  ['forwardAuth.authSigninURL', {'traefik.http.middlewares.m.forwardAuth.authSigninURL': 'https://login.example.com'}, {http: {middlewares: {m: {forwardAuth: {authSigninURL: 'https://login.example.com'}}}}}],
  ['traefik.tls.* outside stores.default is not read at all', {'traefik.tls.options.x.minversion': 'VersionTLS12'}, {}],
]

describe('Traefik 3.7 label fields', () => {
  for (const [name, labels, expected] of cases) {
    it(name, () => {
      expect(decodeTraefikLabels(labels)).toEqual(expected)
    })
  }

  it('still refuses what Traefik hides from labels (label:"-")', () => {
    expect(() => decodeTraefikLabels({'traefik.tcp.services.s.loadbalancer.server.address': '127.0.11.66:5432'})).toThrow(/field not found, node: address/)
    expect(() => decodeTraefikLabels({'traefik.http.services.s.weighted.services[0].name': 'x'})).toThrow(/field not found, node: weighted/)
    expect(() => decodeTraefikLabels({'traefik.tls.stores.default.defaultcertificate.certfile': '/etc/x.pem'})).toThrow(/field not found, node: defaultcertificate/)
  })
})

const SETTINGS: PlanSettings = {
  baseDomain: 'example.com',
  entrypoints: ['web', 'websecure', 'tcp-5432'],
  httpsEntrypoints: ['websecure'],
  certResolver: 'letsencrypt',
}

function container(labels: Record<string, string>): ContainerInfo {
  return {
    id: 'c1',
    name: 'app-web-1',
    created: 1,
    health: '',
    labels: {'rediacc.service_name': 'web', 'rediacc.service_ip': '127.0.11.2', 'rediacc.network_id': '2816', 'rediacc.tcp_ports': '8080', ...labels},
  }
}

describe('Docker provider behaviour', () => {
  it('traefik.enable=false gives no route at all, not even the automatic one', () => {
    for (const value of ['false', 'False', '0']) {
      const plan = planContainer(container({'traefik.enable': value}), 2816, SETTINGS)
      expect(plan.routers).toEqual([])
      expect(plan.refusals).toEqual([])
      expect(plan.skipped).toBe(DISABLED)
    }

    // Only rediacc.* labels: the automatic route, as before.
    expect(planContainer(container({}), 2816, SETTINGS).routers.map((r) => r.router.rule)).toEqual(['Host(`web-2816.example.com`)'])
  })

  it('an empty server.port falls back to the container port', () => {
    const plan = planContainer(
      container({'traefik.enable': 'true', 'traefik.http.routers.app.rule': 'Host(`app.example.com`)', 'traefik.http.services.app.loadbalancer.server.port': ''}),
      2816,
      SETTINGS,
    )
    expect(plan.skipped).toBeNull()
    expect(plan.refusals).toEqual([])
    expect(plan.services.http['app-2816'].loadBalancer.servers).toEqual([{url: 'http://127.0.11.2:8080'}])
  })

  it('refuses server.url with the foreign-backend reason, not "field not found"', () => {
    const plan = planContainer(
      container({'traefik.enable': 'true', 'traefik.http.routers.app.rule': 'Host(`app.example.com`)', 'traefik.http.services.app.loadbalancer.server.url': 'http://127.0.11.2:8080'}),
      2816,
      SETTINGS,
    )
    expect(plan.skipped).toBeNull()
    expect(plan.routers).toEqual([])
    expect(plan.refusals).toEqual([expect.objectContaining({kind: 'foreign-backend', object: 'app', reason: expect.stringMatching(/server\.url is not accepted/)})])
  })

  it("service middlewares (3.7) name this repository's middlewares; another provider's or a refused one is refused", () => {
    const base = {'traefik.enable': 'true', 'traefik.http.routers.app.rule': 'Host(`app.example.com`)', 'traefik.http.services.app.loadbalancer.server.port': '8080'}
    const ok = planContainer(
      container({...base, 'traefik.http.services.app.middlewares': 'hsts', 'traefik.http.middlewares.hsts.headers.stsSeconds': '60'}),
      2816,
      SETTINGS,
    )
    expect(ok.refusals).toEqual([])
    expect(ok.services.http['app-2816'].middlewares).toEqual(['hsts-2816'])
    expect(ok.middlewares.http['hsts-2816']).toEqual({headers: {stsSeconds: 60}})

    const foreign = planContainer(container({...base, 'traefik.http.services.app.middlewares': 'auth@file'}), 2816, SETTINGS)
    expect(foreign.refusals).toEqual([expect.objectContaining({kind: 'foreign-reference', object: 'app'})])
    expect(foreign.services.http).toEqual({})

    const refused = planContainer(
      container({...base, 'traefik.http.services.app.middlewares': 'auth', 'traefik.http.middlewares.auth.forwardauth.address': 'http://127.0.0.1:9000/auth'}),
      2816,
      SETTINGS,
    )
    expect(refused.refusals.map((r) => [r.object, r.kind])).toEqual([
      ['auth', 'foreign-backend'],
      ['app', 'foreign-backend'],
    ])
    expect(refused.services.http).toEqual({})
  })
})
