import Ajv from 'ajv'
import fc from 'fast-check'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {GUIDE_DNS_LABELS, GUIDE_MAIL_LABELS, GUIDE_POSTGRES_LABELS} from '../../../test/support/guide-labels.js'
import {traefikBody} from './body.js'
import {ConfigBuilder, DaemonContainers} from './build.js'
import type {PlanSettings} from './plan-model.js'
import {PortAllocator} from './ports.js'
import schema from './traefik-dynamic.schema.json'
import type {ContainerInfo} from './types.js'

const AjvClass = ((Ajv as unknown as {default?: typeof Ajv}).default ?? Ajv) as unknown as new (o: object) => {compile(s: object): ((d: unknown) => boolean) & {errors?: unknown}}
const validate = new AjvClass({allowUnionTypes: true, strict: false}).compile(schema)

const SETTINGS: PlanSettings = {
  baseDomain: 'example.com',
  entrypoints: ['web', 'websecure', 'websecure-v6', 'tcp-25', 'tcp-993', 'tcp-5432', 'tcp-10000', 'tcp-10001', 'udp-53'],
  httpsEntrypoints: ['websecure', 'websecure-v6'],
  certResolver: 'letsencrypt',
}

let n = 0
function container(networkId: number, slot: number, labels: Record<string, string>, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  n++
  const v = networkId + slot + 2
  return {
    id: `c${String(n).padStart(4, '0')}`,
    name: `svc${n}`,
    created: n,
    health: '',
    labels: {
      'rediacc.service_name': `svc${slot}`,
      'rediacc.service_ip': `127.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`,
      'rediacc.network_id': String(networkId),
      ...labels,
    },
    ...extra,
  }
}

let stateDir: string
let now = 1_000_000
function builder(settings: PlanSettings = SETTINGS, udp = false): {b: ConfigBuilder; ports: PortAllocator} {
  const ports = new PortAllocator({stateDir, ranges: {tcp: {from: 10_000, to: 10_001}, udp: udp ? {from: 20_000, to: 20_000} : null}, graceMs: 60_000, now: () => now})
  return {b: new ConfigBuilder(settings, ports), ports}
}

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'rdc-router-build-'))
  now = 1_000_000
})
afterEach(() => rmSync(stateDir, {recursive: true, force: true}))

function expectValid(config: unknown): void {
  const body = traefikBody(config as Record<string, unknown>)
  // The body is JSON, read by Traefik as YAML: check both readers agree.
  const parsed = parse(body) ?? {}
  expect(parsed).toEqual(JSON.parse(body))
  const valid = validate(parsed)
  if (!valid) throw new Error(`schema: ${JSON.stringify(validate.errors)}\n${body}`)
  expect(parsed).toEqual(JSON.parse(JSON.stringify(config)))
}

describe('automatic routes (tier 1)', () => {
  it('routes {service}-{networkId}.{baseDomain} on the HTTPS entry points with the cert resolver', () => {
    const {b} = builder()
    const c = container(2816, 0, {'rediacc.service_name': 'myapp', 'rediacc.tcp_ports': '8080,8443'})
    const r = b.build([{networkId: 2816, containers: [c]}])
    expect(r.config).toEqual({
      http: {
        routers: {
          'myapp-2816': {rule: 'Host(`myapp-2816.example.com`)', entryPoints: ['websecure', 'websecure-v6'], service: 'myapp-2816', tls: {certResolver: 'letsencrypt'}},
        },
        services: {'myapp-2816': {loadBalancer: {servers: [{url: 'http://127.0.11.2:8080'}]}}},
      },
    })
    expect(r.routes).toEqual([
      {
        protocol: 'http',
        router: 'myapp-2816',
        labelName: 'myapp',
        rule: 'Host(`myapp-2816.example.com`)',
        entryPoints: ['websecure', 'websecure-v6'],
        service: 'myapp-2816',
        backends: ['http://127.0.11.2:8080'],
        networkId: 2816,
        container: c.name,
        containerId: c.id,
        source: 'auto',
      },
    ])
    expectValid(r.config)
  })

  it('prefers rediacc.service_port, and skips a service without a port with the reason', () => {
    const {b} = builder()
    const withPort = container(2816, 0, {'rediacc.service_name': 'api', 'rediacc.service_port': '3000', 'rediacc.tcp_ports': '9000'})
    const noPort = container(2816, 1, {'rediacc.service_name': 'worker'})
    const r = b.build([{networkId: 2816, containers: [withPort, noPort]}])
    expect(r.config.http?.services).toEqual({'api-2816': {loadBalancer: {servers: [{url: 'http://127.0.11.2:3000'}]}}})
    expect(r.skipped).toEqual([{container: noPort.name, containerId: noPort.id, networkId: 2816, reason: expect.stringMatching(/no port/)}])
  })

  it('makes no automatic route without a base domain', () => {
    const {b} = builder({...SETTINGS, baseDomain: null})
    const r = b.build([{networkId: 2816, containers: [container(2816, 0, {'rediacc.tcp_ports': '80'})]}])
    expect(r.config).toEqual({})
    expect(r.skipped[0].reason).toMatch(/automatic routes are off/)
  })
})

describe('label routes (tier 2)', () => {
  it("applies Traefik's defaults with our automatic hostname when only traefik.enable=true", () => {
    const {b} = builder()
    const c = container(2816, 0, {'traefik.enable': 'true', 'rediacc.service_name': 'web', 'rediacc.tcp_ports': '8080', 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web'})
    const r = b.build([{networkId: 2816, containers: [c]}])
    expect(r.config).toEqual({
      http: {
        routers: {
          'web-shop-2816': {rule: 'Host(`web-2816.example.com`)', entryPoints: ['websecure', 'websecure-v6'], service: 'web-shop-2816', tls: {certResolver: 'letsencrypt'}},
        },
        services: {'web-shop-2816': {loadBalancer: {servers: [{url: 'http://127.0.11.2:8080'}]}}},
      },
    })
  })

  it('builds the networking guide examples: web app, mail server, Postgres, DNS', () => {
    const {b} = builder()
    const web = container(2816, 0, {
      'traefik.enable': 'true',
      'traefik.http.routers.webapp.rule': 'Host(`app.example.com`)',
      'traefik.http.routers.webapp.entrypoints': 'websecure,websecure-v6',
      'traefik.http.routers.webapp.tls.certresolver': 'letsencrypt',
      'traefik.http.services.webapp.loadbalancer.server.port': '3000',
      'traefik.http.middlewares.webapp-hsts.headers.stsSeconds': '15768000',
      'traefik.http.middlewares.webapp-hsts.headers.stsIncludeSubdomains': 'true',
      'traefik.http.middlewares.webapp-buffering.buffering.maxRequestBodyBytes': '536870912',
      'traefik.http.routers.webapp.middlewares': 'webapp-hsts,webapp-buffering',
    })
    const mail = container(2816, 1, {...GUIDE_MAIL_LABELS})
    const pg = container(2816, 2, {...GUIDE_POSTGRES_LABELS})
    const dns = container(2816, 3, {...GUIDE_DNS_LABELS})
    const r = b.build([{networkId: 2816, containers: [web, mail, pg, dns]}])
    expect(r.refusals).toEqual([])
    expect(r.config).toEqual({
      http: {
        routers: {
          'webapp-2816': {
            rule: 'Host(`app.example.com`)',
            entryPoints: ['websecure', 'websecure-v6'],
            tls: {certResolver: 'letsencrypt'},
            middlewares: ['webapp-hsts-2816', 'webapp-buffering-2816'],
            service: 'webapp-2816',
          },
        },
        services: {'webapp-2816': {loadBalancer: {servers: [{url: 'http://127.0.11.2:3000'}]}}},
        middlewares: {
          'webapp-hsts-2816': {headers: {stsSeconds: 15_768_000, stsIncludeSubdomains: true}},
          'webapp-buffering-2816': {buffering: {maxRequestBodyBytes: 536_870_912}},
        },
      },
      tcp: {
        routers: {
          'mail-smtp-2816': {entryPoints: ['tcp-25'], rule: 'HostSNI(`*`)', service: 'mail-smtp-2816'},
          'mail-imaps-2816': {entryPoints: ['tcp-993'], rule: 'HostSNI(`mail.example.com`)', tls: {passthrough: true}, service: 'mail-imaps-2816'},
          'mydb-2816': {entryPoints: ['tcp-5432'], rule: 'HostSNI(`*`)', service: 'mydb-2816'},
        },
        services: {
          'mail-smtp-2816': {loadBalancer: {servers: [{address: '127.0.11.3:25'}]}},
          'mail-imaps-2816': {loadBalancer: {servers: [{address: '127.0.11.3:993'}]}},
          'mydb-2816': {loadBalancer: {servers: [{address: '127.0.11.4:5432'}]}},
        },
      },
      udp: {
        routers: {'dns-2816': {entryPoints: ['udp-53'], service: 'dns-2816'}},
        services: {'dns-2816': {loadBalancer: {servers: [{address: '127.0.11.5:53'}]}}},
      },
    })
    expectValid(r.config)
  })

  it('lets two repositories both call a router web', () => {
    const {b} = builder()
    const labels = (host: string) => ({
      'traefik.enable': 'true',
      'traefik.http.routers.web.rule': `Host(\`${host}\`)`,
      'traefik.http.routers.web.middlewares': 'auth',
      'traefik.http.middlewares.auth.basicauth.users': 'u:$apr1$x',
      'traefik.http.services.web.loadbalancer.server.port': '80',
    })
    const r = b.build([
      {networkId: 2816, containers: [container(2816, 0, labels('a.example.com'))]},
      {networkId: 2880, containers: [container(2880, 0, labels('b.example.com'))]},
    ])
    expect(Object.keys(r.config.http!.routers)).toEqual(['web-2816', 'web-2880'])
    expect(r.config.http!.routers['web-2880']).toMatchObject({middlewares: ['auth-2880'], service: 'web-2880'})
    expect(r.config.http!.services['web-2880'].loadBalancer.servers).toEqual([{url: 'http://127.0.11.66:80'}])
    expectValid(r.config)
  })
})

describe('single-family machines', () => {
  const guideLabels = {
    'traefik.enable': 'true',
    'traefik.http.routers.myapp.rule': 'Host(`app.example.com`)',
    'traefik.http.routers.myapp.entrypoints': 'websecure,websecure-v6',
    'traefik.http.routers.myapp.tls.certresolver': 'letsencrypt',
    'traefik.http.services.myapp.loadbalancer.server.port': '8080',
  }

  it("serves the guide's `websecure,websecure-v6` labels on the family the machine has", () => {
    for (const [entrypoints, expected] of [
      [['web', 'websecure', 'tcp-5432'], ['websecure']],
      [['web', 'websecure-v6', 'tcp-5432'], ['websecure-v6']],
    ] as const) {
      const {b} = builder({...SETTINGS, entrypoints: [...entrypoints], httpsEntrypoints: expected.filter((e) => e.startsWith('websecure'))})
      const r = b.build([{networkId: 2816, containers: [container(2816, 0, guideLabels)]}])
      expect(r.refusals).toEqual([])
      expect(r.config.http!.routers['myapp-2816'].entryPoints).toEqual(expected)
      expectValid(r.config)
    }
  })

  it('still refuses an IPv6 entry point named alone on an IPv4-only machine', () => {
    const {b} = builder({...SETTINGS, entrypoints: ['web', 'websecure', 'tcp-5432'], httpsEntrypoints: ['websecure']})
    const r = b.build([{networkId: 2816, containers: [container(2816, 0, {...guideLabels, 'traefik.http.routers.myapp.entrypoints': 'websecure-v6'})]}])
    expect(r.refusals.map((x) => [x.kind, x.reason])).toEqual([['unknown-entrypoint', "router myapp: entry point 'websecure-v6' does not exist on this machine"]])
  })
})

describe('IPv6 twins (dual-stack machine)', () => {
  const DUAL: PlanSettings = {
    ...SETTINGS,
    entrypoints: ['web', 'web-v6', 'websecure', 'websecure-v6', 'tcp-5432', 'tcp-5432-v6', 'tcp-10000', 'tcp-10000-v6', 'tcp-10001', 'udp-53', 'udp-53-v6'],
  }

  it('gives TCP, UDP and web routers their -v6 twins, dynamic ports too, and shows them in the routes', () => {
    const {b} = builder(DUAL)
    const pg = container(2816, 0, {'traefik.enable': 'true', 'traefik.tcp.routers.db.entrypoints': 'tcp-5432', 'traefik.tcp.routers.db.rule': 'HostSNI(`*`)', 'traefik.tcp.services.db.loadbalancer.server.port': '5432'})
    const dns = container(2816, 1, {'traefik.enable': 'true', 'traefik.udp.routers.dns.entrypoints': 'udp-53', 'traefik.udp.services.dns.loadbalancer.server.port': '53'})
    const plain = container(2816, 2, {'traefik.enable': 'true', 'traefik.http.routers.plain.entrypoints': 'web', 'traefik.http.routers.plain.rule': 'Host(`plain.example.org`)', 'rediacc.tcp_ports': '80'})
    const tls = container(2816, 3, {'traefik.enable': 'true', 'traefik.http.routers.tls.entrypoints': 'websecure', 'traefik.http.routers.tls.rule': 'Host(`tls.example.org`)', 'rediacc.tcp_ports': '80'})
    const dyn = container(2816, 4, {'traefik.enable': 'true', 'traefik.tcp.routers.dyn.rule': 'HostSNI(`*`)', 'traefik.tcp.services.dyn.loadbalancer.server.port': '6000'})
    const auto = container(2816, 5, {'rediacc.tcp_ports': '8080'})
    const r = b.build([{networkId: 2816, containers: [pg, dns, plain, tls, dyn, auto]}])
    expect(r.refusals).toEqual([])
    expect(r.config.tcp!.routers['db-2816'].entryPoints).toEqual(['tcp-5432', 'tcp-5432-v6'])
    expect(r.config.udp!.routers['dns-2816'].entryPoints).toEqual(['udp-53', 'udp-53-v6'])
    expect(r.config.http!.routers['plain-2816'].entryPoints).toEqual(['web', 'web-v6'])
    // websecure is written with its twin by hand (the guide's `websecure,websecure-v6`): left as written.
    expect(r.config.http!.routers['tls-2816'].entryPoints).toEqual(['websecure'])
    expect(r.config.tcp!.routers['dyn-2816'].entryPoints).toEqual(['tcp-10000', 'tcp-10000-v6'])
    expect(r.config.http!.routers['svc5-2816'].entryPoints).toEqual(['websecure', 'websecure-v6'])
    expect(r.routes.find((x) => x.router === 'db-2816')!.entryPoints).toEqual(['tcp-5432', 'tcp-5432-v6'])
    expect(r.routes.find((x) => x.router === 'dyn-2816')!.entryPoints).toEqual(['tcp-10000', 'tcp-10000-v6'])
    expectValid(r.config)
  })

  it('counts a UDP entry point and its twin as one for the one-router rule, and a twin-less port stays single', () => {
    const {b} = builder(DUAL)
    const first = container(2816, 0, {'traefik.enable': 'true', 'traefik.udp.routers.a.entrypoints': 'udp-53-v6', 'traefik.udp.services.a.loadbalancer.server.port': '53'})
    const second = container(2880, 0, {'traefik.enable': 'true', 'traefik.udp.routers.b.entrypoints': 'udp-53', 'traefik.udp.services.b.loadbalancer.server.port': '53'})
    const single = container(2880, 1, {'traefik.enable': 'true', 'traefik.tcp.routers.c.entrypoints': 'tcp-10001', 'traefik.tcp.routers.c.rule': 'HostSNI(`*`)', 'traefik.tcp.services.c.loadbalancer.server.port': '1'})
    const r = b.build([{networkId: 2816, containers: [first]}, {networkId: 2880, containers: [second, single]}])
    expect(r.refusals.map((x) => [x.networkId, x.kind])).toEqual([[2880, 'udp-entrypoint-taken']])
    expect(r.config.udp!.routers).toEqual({'a-2816': {entryPoints: ['udp-53-v6'], service: 'a-2816'}})
    expect(r.config.tcp!.routers['c-2880'].entryPoints).toEqual(['tcp-10001'])
  })
})

describe('body', () => {
  it('is byte-identical whatever order containers are found in, and after a container is recreated', () => {
    const labels = (s: number) => ({'traefik.enable': 'true', [`traefik.http.routers.r${s}.rule`]: `Host(\`r${s}.example.org\`)`, 'rediacc.tcp_ports': '80'})
    const a = [0, 1, 2].map((s) => container(2816, s, labels(s)))
    const one = builder().b.build([{networkId: 2816, containers: a}])
    const two = builder().b.build([{networkId: 2816, containers: [...a].reverse()}])
    // Recreated: a new id and creation time, the same labels.
    const recreated = builder().b.build([{networkId: 2816, containers: [a[1], a[2], {...a[0], id: 'c9999', created: 9999}]}])
    expect(traefikBody(two.config)).toBe(traefikBody(one.config))
    expect(traefikBody(recreated.config)).toBe(traefikBody(one.config))
  })
})

describe('isolation', () => {
  const web = (host: string, extra: Record<string, string> = {}) => ({
    'traefik.enable': 'true',
    'traefik.http.routers.web.rule': `Host(\`${host}\`)`,
    'traefik.http.services.web.loadbalancer.server.port': '80',
    ...extra,
  })

  function refusalsFor(daemons: DaemonContainers[], settings = SETTINGS) {
    const {b} = builder(settings)
    const r = b.build(daemons)
    return {r, kinds: r.refusals.map((x) => [x.networkId, x.kind])}
  }

  it('keeps a hostname with the repository that had it first', () => {
    const first = container(2880, 0, web('shop.example.com'))
    const second = container(2816, 0, web('Shop.Example.com'))
    const {r, kinds} = refusalsFor([
      {networkId: 2816, containers: [second]},
      {networkId: 2880, containers: [first]},
    ])
    expect(kinds).toEqual([[2816, 'foreign-hostname']])
    expect(r.refusals[0].reason).toMatch(/already routed by repository 2880/)
    expect(Object.keys(r.config.http!.routers)).toEqual(['web-2880'])
  })

  it("refuses another repository's automatic hostname", () => {
    const {kinds} = refusalsFor([{networkId: 2816, containers: [container(2816, 0, web('app-2880.example.com'))]}])
    expect(kinds).toEqual([[2816, 'foreign-hostname']])
  })

  it('refuses a service IP outside the repository and a network id that disagrees with the daemon', () => {
    const foreign = container(2816, 0, web('a.example.com', {'rediacc.service_ip': '127.0.11.66'}))
    const mismatch = container(2816, 1, web('b.example.com', {'rediacc.network_id': '2880'}))
    const {r, kinds} = refusalsFor([{networkId: 2816, containers: [foreign, mismatch]}])
    expect(kinds).toEqual([
      [2816, 'foreign-backend'],
      [2816, 'network-mismatch'],
    ])
    expect(r.config).toEqual({})
  })

  it('refuses references to other providers, unknown entry points and unrestricted rules', () => {
    const c = container(2816, 0, {
      'traefik.enable': 'true',
      'traefik.http.routers.dash.rule': 'Host(`dash.example.com`)',
      'traefik.http.routers.dash.service': 'api@internal',
      'traefik.http.routers.mw.rule': 'Host(`mw.example.com`)',
      'traefik.http.routers.mw.middlewares': 'auth@file',
      'traefik.http.routers.mw.service': 'web',
      'traefik.http.routers.ep.rule': 'Host(`ep.example.com`)',
      'traefik.http.routers.ep.entrypoints': 'admin',
      'traefik.http.routers.ep.service': 'web',
      'traefik.http.routers.all.rule': 'Host(`x.example.com`) || PathPrefix(`/`)',
      'traefik.http.routers.all.service': 'web',
      'traefik.http.routers.good.rule': 'Host(`good.example.com`) && PathPrefix(`/api`)',
      'traefik.http.routers.good.service': 'web',
      'traefik.http.services.web.loadbalancer.server.port': '80',
      'traefik.tls.stores.default.defaultgeneratedcert.resolver': 'evil',
    })
    const {r} = refusalsFor([{networkId: 2816, containers: [c]}])
    expect(r.refusals.map((x) => [x.object ?? '', x.kind]).sort()).toEqual([
      ['', 'global-tls'],
      ['all', 'unrestricted-rule'],
      ['dash', 'foreign-reference'],
      ['ep', 'unknown-entrypoint'],
      ['mw', 'foreign-reference'],
    ])
    expect(Object.keys(r.config.http!.routers)).toEqual(['good-2816'])
    expectValid(r.config)
  })

  it("refuses names that carry a provider ('@')", () => {
    const c = container(2816, 0, {'traefik.enable': 'true', 'traefik.http.routers.x@file.rule': 'Host(`x.example.com`)', 'rediacc.tcp_ports': '80'})
    const {r, kinds} = refusalsFor([{networkId: 2816, containers: [c]}])
    expect(kinds).toEqual([[2816, 'foreign-reference']])
    expect(r.config).toEqual({})
  })

  it('refuses a second UDP router on one entry point and a second TCP catch-all on one port', () => {
    const dns = (slot: number, nid: number) =>
      container(nid, slot, {'traefik.enable': 'true', 'traefik.udp.routers.dns.entrypoints': 'udp-53', 'traefik.udp.services.dns.loadbalancer.server.port': '53'})
    const pg = (slot: number, nid: number) =>
      container(nid, slot, {'traefik.enable': 'true', 'traefik.tcp.routers.db.entrypoints': 'tcp-5432', 'traefik.tcp.routers.db.rule': 'HostSNI(`*`)', 'rediacc.tcp_ports': '5432'})
    const {r, kinds} = refusalsFor([
      {networkId: 2816, containers: [dns(0, 2816), pg(1, 2816)]},
      {networkId: 2880, containers: [dns(0, 2880), pg(1, 2880)]},
    ])
    expect(kinds).toEqual([
      [2880, 'udp-entrypoint-taken'],
      [2880, 'foreign-hostname'],
    ])
    expect(Object.keys(r.config.udp!.routers)).toEqual(['dns-2816'])
  })

  it('skips only the container whose labels cannot be decoded', () => {
    const bad = container(2816, 0, {'traefik.enable': 'true', 'traefik.http.services.s.loadbalancer.server.uri': 'http://127.0.11.66'})
    const good = container(2816, 1, web('ok.example.com'))
    const {b} = builder()
    const r = b.build([{networkId: 2816, containers: [bad, good]}])
    expect(r.skipped).toEqual([{container: bad.name, containerId: bad.id, networkId: 2816, reason: 'labels cannot be decoded: field not found, node: uri'}])
    expect(Object.keys(r.config.http!.routers)).toEqual(['web-2816'])
  })
})

describe('schema checks at run time', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a middleware with two types', {'traefik.http.middlewares.m.headers.stsPreload': 'true', 'traefik.http.middlewares.m.buffering.maxRequestBodyBytes': '1'}, /exactly one middleware type/],
    ['a middleware with none', {'traefik.http.middlewares.m.compress': 'false'}, /exactly one middleware type, has 0/],
    ['retry without attempts', {'traefik.http.middlewares.m.retry.initialInterval': '1s'}, /attempts/],
    ['plugin settings that are not an object', {'traefik.http.middlewares.m.plugin.p': 'x'}, /must be an object/],
    ['a negative priority', {'traefik.http.routers.r.rule': 'Host(`p.example.com`)', 'traefik.http.routers.r.priority': '-1'}, /priority: must be >= 0/],
  ]
  for (const [name, labels, reason] of cases) {
    it(`skips ${name}, which the schema rejects too`, () => {
      const {b} = builder()
      const c = container(2816, 0, {'traefik.enable': 'true', 'rediacc.tcp_ports': '80', ...labels})
      const r = b.build([{networkId: 2816, containers: [c]}])
      expect(r.config).toEqual({})
      expect(r.skipped.map((x) => x.reason)).toEqual([expect.stringMatching(reason)])
    })
  }
})

describe('dynamic ports', () => {
  const tcp = (router: string) => ({
    'traefik.enable': 'true',
    [`traefik.tcp.routers.${router}.rule`]: 'HostSNI(`*`)',
    [`traefik.tcp.services.${router}.loadbalancer.server.port`]: '6000',
  })

  it('allocates, keeps across restarts, releases after the grace period, refuses when full', () => {
    const a = container(2816, 0, tcp('alpha'))
    const bc = container(2816, 1, tcp('beta'))
    const cc = container(2880, 0, tcp('gamma'))
    const first = builder()
    let r = first.b.build([{networkId: 2816, containers: [a, bc]}, {networkId: 2880, containers: [cc]}])
    expect(r.config.tcp!.routers['alpha-2816'].entryPoints).toEqual(['tcp-10000'])
    expect(r.config.tcp!.routers['beta-2816'].entryPoints).toEqual(['tcp-10001'])
    expect(r.refusals.map((x) => [x.networkId, x.kind])).toEqual([[2880, 'ports-exhausted']])
    expect(JSON.parse(readFileSync(join(stateDir, 'ports.json'), 'utf8')).allocations.map((x: {port: number; router: string}) => [x.port, x.router])).toEqual([
      [10_000, 'alpha'],
      [10_001, 'beta'],
    ])

    // A restarted router reads ports.json: same ports, whatever the order of discovery.
    const second = builder()
    r = second.b.build([{networkId: 2816, containers: [bc]}])
    expect(r.config.tcp!.routers['beta-2816'].entryPoints).toEqual(['tcp-10001'])
    expect(second.ports.report().map((x) => [x.port, x.idle])).toEqual([
      [10_000, true],
      [10_001, false],
    ])
    now += 61_000
    r = second.b.build([{networkId: 2816, containers: [bc]}, {networkId: 2880, containers: [cc]}])
    expect(r.config.tcp!.routers['gamma-2880'].entryPoints).toEqual(['tcp-10000'])
  })

  it('counts ports held until shutdown as held until then, so a restart keeps them for the grace period', () => {
    const a = container(2816, 0, tcp('alpha'))
    const first = builder()
    first.b.build([{networkId: 2816, containers: [a]}])
    now += 50_000 // no build for a while, then a clean stop
    first.ports.flush()
    now += 30_000 // 80 s after the last build, 30 s after the stop; the grace is 60 s
    const second = builder()
    second.b.build([])
    expect(second.ports.report().map((x) => [x.port, x.router, x.idle])).toEqual([[10_000, 'alpha', true]])
  })

  it('refuses a UDP router without entry points when there is no UDP range', () => {
    const {b} = builder()
    const c = container(2816, 0, {'traefik.enable': 'true', 'traefik.udp.services.dns.loadbalancer.server.port': '53'})
    const r = b.build([{networkId: 2816, containers: [c]}])
    expect(r.refusals.map((x) => x.kind)).toEqual([])
    expect(r.config.udp).toEqual({services: {'dns-2816': {loadBalancer: {servers: [{address: '127.0.11.2:53'}]}}}})
    const withRouter = container(2816, 1, {'traefik.enable': 'true', 'traefik.udp.routers.dns.service': 'dns', 'traefik.udp.services.dns.loadbalancer.server.port': '53'})
    expect(b.build([{networkId: 2816, containers: [withRouter]}]).refusals.map((x) => x.kind)).toEqual(['ports-exhausted'])
  })
})

describe('memory', () => {
  it('keeps plans only for containers that exist', () => {
    const {b} = builder()
    for (let round = 0; round < 50; round++) {
      const containers = Array.from({length: 10}, (_, i) => container(2816, i, {'rediacc.tcp_ports': '80'}))
      b.build([{networkId: 2816, containers}])
    }

    expect(b.cachedPlans).toBe(10)
    b.build([])
    expect(b.cachedPlans).toBe(0)
  })
})

describe('properties', () => {
  const segment = fc.constantFrom(
    'http', 'tcp', 'udp', 'tls', 'routers', 'services', 'middlewares', 'r', 'R', 'web', 'rule', 'entrypoints', 'service',
    'middlewares', 'priority', 'tls', 'certresolver', 'passthrough', 'domains[0]', 'main', 'sans', 'loadbalancer',
    'server', 'port', 'scheme', 'headers', 'stsSeconds', 'customrequestheaders', 'X-A', 'buffering', 'maxRequestBodyBytes',
    'compress', 'chain', 'redirectscheme', 'permanent', 'sticky', 'cookie', 'name', 'plugin', 'p', 'x', '', '[1]', 'options',
    'retry', 'attempts', 'ratelimit', 'average', 'ipallowlist', 'sourcerange', 'contenttype', 'errors', 'status', 'query',
  )
  const key = fc.array(segment, {minLength: 1, maxLength: 7}).map((parts) => ['traefik', ...parts].join('.'))
  const value = fc.oneof(
    fc.constantFrom('true', 'false', '80', '-1', '1.5', 'Host(`a.example.com`)', 'HostSNI(`*`)', 'PathPrefix(`/`)', 'api@internal', 'websecure', 'tcp-5432', 'udp-53', 'nope', 'a,b', ''),
    fc.string({maxLength: 12}),
  )
  const labels = fc.dictionary(key, value, {maxKeys: 12}).map((l) => ({'traefik.enable': 'true', ...l}))

  it('never throws on random label sets, and every body validates against the schema', () => {
    fc.assert(
      fc.property(fc.array(labels, {minLength: 1, maxLength: 6}), (sets) => {
        const {b} = builder(SETTINGS, true)
        const containers = sets.map((l, i) => container(i % 2 === 0 ? 2816 : 2880, i, {...l, 'rediacc.tcp_ports': '8080'}))
        const r = b.build([
          {networkId: 2816, containers: containers.filter((c) => c.labels['rediacc.network_id'] === '2816')},
          {networkId: 2880, containers: containers.filter((c) => c.labels['rediacc.network_id'] === '2880')},
        ])
        expectValid(r.config)
      }),
      {numRuns: 500},
    )
  })
})
