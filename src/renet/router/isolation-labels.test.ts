/**
 * Isolation through the whole builder: a victim repository (2816) routes shop.example.com first; a thief
 * repository (2880) writes labels that Traefik would read as the victim's name, the victim's service or this
 * machine. Each table row is one spelling; the property test generates label sets from the same spellings.
 */
import fc from 'fast-check'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigBuilder, type BuildResult} from './build.js'
import {ownsIp, parseGoUrl, parseIPv4, parseIPv6} from './isolation.js'
import type {PlanSettings} from './plan-model.js'
import {PortAllocator} from './ports.js'
import {ruleHosts} from './rules.js'
import type {ContainerInfo} from './types.js'

const VICTIM = 2816
const THIEF = 2880
const SETTINGS: PlanSettings = {
  baseDomain: 'example.com',
  entrypoints: ['web', 'web-v6', 'websecure', 'websecure-v6', 'tcp-5432', 'tcp-10000', 'udp-53'],
  httpsEntrypoints: ['websecure', 'websecure-v6'],
  certResolver: 'letsencrypt',
  localAddresses: ['127.0.0.1', '::1', '10.5.0.2'],
  localNames: ['server-1', 'localhost'],
}

let stateDir: string
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'rdc-router-isolation-'))
})
afterEach(() => rmSync(stateDir, {recursive: true, force: true}))

let n = 0
function container(networkId: number, slot: number, labels: Record<string, string>): ContainerInfo {
  n++
  const v = networkId + slot + 2
  return {
    id: `c${String(n).padStart(5, '0')}`,
    name: `c${n}`,
    created: n,
    health: '',
    labels: {
      'rediacc.service_name': `svc${slot}`,
      'rediacc.service_ip': `127.0.${(v >> 8) & 255}.${v & 255}`,
      'rediacc.network_id': String(networkId),
      'rediacc.tcp_ports': '8080',
      ...labels,
    },
  }
}

function build(containers: ContainerInfo[]): BuildResult {
  const ports = new PortAllocator({stateDir, ranges: {tcp: {from: 10_000, to: 10_000}, udp: null}, graceMs: 60_000})
  const b = new ConfigBuilder(SETTINGS, ports)
  return b.build([VICTIM, THIEF].map((networkId) => ({networkId, containers: containers.filter((c) => c.labels['rediacc.network_id'] === String(networkId))})))
}

const victim = (): ContainerInfo =>
  container(VICTIM, 0, {
    'traefik.enable': 'true',
    'traefik.http.routers.shop.rule': 'Host(`shop.example.com`)',
    'traefik.http.services.shop.loadbalancer.server.port': '80',
  })

function thiefRouter(rule: string, extra: Record<string, string> = {}): Record<string, string> {
  return {'traefik.enable': 'true', 'traefik.http.routers.r.rule': rule, 'traefik.http.services.s.loadbalancer.server.port': '80', ...extra}
}

/** Every served server URL/address is (as Go parses it) an IP of the repository whose name suffix it carries. */
function expectOwnBackends(r: BuildResult): void {
  for (const proto of ['http', 'tcp', 'udp'] as const) {
    for (const [name, svc] of Object.entries((r.config[proto]?.services ?? {}) as Record<string, any>)) {
      const owner = Number(/-(\d+)$/.exec(name)![1])
      for (const s of svc.loadBalancer.servers) {
        const host = s.url === undefined ? s.address.split(':')[0] : parseGoUrl(s.url)?.hostname
        expect(ownsIp(owner, host), JSON.stringify(s)).toBe(true)
      }
    }
  }
}

/** The refusal kinds of the thief, and whether any served router of the thief can match shop.example.com. */
function outcome(thiefLabels: Record<string, string>): {kinds: string[]; reasons: string[]; r: BuildResult} {
  const r = build([victim(), container(THIEF, 0, thiefLabels)])
  const mine = r.refusals.filter((x) => x.networkId === THIEF)
  expect(r.config.http?.routers?.[`shop-${VICTIM}`]).toBeDefined()
  return {kinds: mine.map((x) => x.kind), reasons: mine.map((x) => x.reason), r}
}

describe("another spelling of the victim's hostname is the victim's hostname", () => {
  const table: Array<[string, Record<string, string>, string]> = [
    ['a trailing dot', thiefRouter('Host(`shop.example.com.`)'), 'foreign-hostname'],
    ['letter case', thiefRouter('Host(`SHOP.Example.COM`)'), 'foreign-hostname'],
    ['a \\x escape in a double-quoted string', thiefRouter('Host("shop\\x2eexample.com")'), 'foreign-hostname'],
    ['a \\u escape', thiefRouter('Host("\\u0073hop.example.com")'), 'foreign-hostname'],
    ['an octal escape', thiefRouter('Host("shop\\056example\\056com")'), 'foreign-hostname'],
    ['a carriage return in a raw string', thiefRouter('Host(`shop.exa\rmple.com`)'), 'invalid-hostname'],
    ['a tab in a raw string', thiefRouter('Host(`shop.example.com\t`)'), 'invalid-hostname'],
    ['two trailing dots', thiefRouter('Host(`shop.example.com..`)'), 'invalid-hostname'],
    ['lower-case function name', thiefRouter('host(`shop.example.com`)'), 'foreign-hostname'],
    ['upper-case function name', thiefRouter('HOST(`shop.example.com`)'), 'foreign-hostname'],
    ['double negation', thiefRouter('!!Host(`shop.example.com`)'), 'foreign-hostname'],
    ['a longer rule with a second name', thiefRouter('Host(`mine.example.com`) || Host(`Shop.example.com.`)'), 'foreign-hostname'],
    ['ruleSyntax v2 with two names', thiefRouter('Host(`mine.example.com`, `shop.example.com`)', {'traefik.http.routers.r.ruleSyntax': 'v2'}), 'foreign-hostname'],
    ['v2 HostHeader', thiefRouter('HostHeader(`shop.example.com`)', {'traefik.http.routers.r.ruleSyntax': 'v2'}), 'foreign-hostname'],
    ['fullwidth letters', thiefRouter('Host(`ｓｈｏｐ.example.com`)'), 'unrestricted-rule'],
    [
      'TCP HostSNI in another case on websecure',
      {'traefik.enable': 'true', 'traefik.tcp.routers.t.rule': 'HostSNI(`SHOP.example.com`)', 'traefik.tcp.routers.t.entrypoints': 'websecure', 'traefik.tcp.routers.t.tls.passthrough': 'true'},
      'foreign-hostname',
    ],
    ['the automatic hostname with a trailing dot', thiefRouter('Host(`svc0-2816.example.com.`)'), 'foreign-hostname'],
    ['the automatic hostname in upper case', thiefRouter('Host(`SVC0-2816.EXAMPLE.COM`)'), 'foreign-hostname'],
  ]
  it.each(table)('%s', (_name, labels, kind) => {
    const {kinds, r} = outcome(labels)
    expect(kinds).toEqual([kind])
    expect(Object.keys(r.config.http?.routers ?? {}).filter((k) => k.endsWith(`-${THIEF}`))).toEqual([])
  })

  it('still routes a name of its own written any of these ways', () => {
    const {kinds, r} = outcome(thiefRouter('Host("Mine\\x2eexample.com.")'))
    expect(kinds).toEqual([])
    expect(r.routes.find((x) => x.networkId === THIEF)?.rule).toBe('Host("Mine\\x2eexample.com.")')
  })
})

describe("a backend is the container's own service", () => {
  const table: Array<[string, Record<string, string>]> = [
    ['a port carrying a host', {'traefik.http.services.s.loadbalancer.server.port': '80@127.0.11.2:80'}],
    ['a port carrying a path', {'traefik.http.services.s.loadbalancer.server.port': '80/../'}],
    ['a port out of range', {'traefik.http.services.s.loadbalancer.server.port': '70000'}],
    ['a scheme carrying a URL', {'traefik.http.services.s.loadbalancer.server.scheme': 'http://127.0.0.1:7111/traefik#'}],
    ['a scheme carrying user info', {'traefik.http.services.s.loadbalancer.server.scheme': 'http://x@127.0.11.2:80?'}],
    ['an unknown scheme', {'traefik.http.services.s.loadbalancer.server.scheme': 'gopher'}],
    ['a health check path that is a URL', {'traefik.http.services.s.loadbalancer.healthcheck.path': '//127.0.11.2:80/'}],
    ['a TCP port carrying a host', {'traefik.tcp.routers.t.rule': 'HostSNI(`*`)', 'traefik.tcp.routers.t.entrypoints': 'tcp-5432', 'traefik.tcp.services.t.loadbalancer.server.port': '5432@127.0.11.2'}],
    ['a service IP with leading zeros', {'rediacc.service_ip': '127.0.11.066'}],
    ["another repository's service IP", {'rediacc.service_ip': '127.0.11.2'}],
    ...(
      [
        'http://127.0.11.2:80/',
        'http://x@127.0.11.2/',
        'http://127.0.11.67:80@127.0.11.2:80/',
        'http://127.0.11.002/',
        'http://localhost:7111/',
        'http://LocalHost./',
        'http://[::1]:7111/',
        'http://[::ffff:127.0.11.2]/',
        'http://[::ffff:7f00:b02]/',
        'http://0.0.0.0:7111/',
        'http://127.1:7111/',
        'http://10.5.0.2:8082/',
        'http://server-1:7111/',
        'https://shop.example.com/',
      ] as const
    ).map((address): [string, Record<string, string>] => [
      `forwardAuth to ${address}`,
      {'traefik.http.middlewares.auth.forwardauth.address': address, 'traefik.http.routers.r.middlewares': 'auth'},
    ]),
  ]
  it.each(table)('%s', (_name, extra) => {
    const labels = {...thiefRouter('Host(`mine.example.com`)'), ...extra}
    const {kinds, reasons, r} = outcome(labels)
    expect(kinds.length, reasons.join('\n')).toBeGreaterThan(0)
    expect(kinds.every((k) => k === 'foreign-backend'), reasons.join('\n')).toBe(true)
    expect(r.routes.filter((x) => x.networkId === THIEF)).toEqual([])
    expectOwnBackends(r)
  })

  it('keeps a forwardAuth at its own service IP and an external one', () => {
    for (const address of ['http://127.0.11.67:9091/verify', 'https://auth.example.org/verify']) {
      const {kinds, r} = outcome({...thiefRouter('Host(`mine.example.com`)'), 'traefik.http.middlewares.auth.forwardauth.address': address, 'traefik.http.routers.r.middlewares': 'auth'})
      expect(kinds).toEqual([])
      expect(r.config.http!.middlewares![`auth-${THIEF}`]).toEqual({forwardAuth: {address}})
    }
  })
})

describe('entry points every repository shares', () => {
  const tcp = (eps: string, rule: string, extra: Record<string, string> = {}) => ({
    'traefik.enable': 'true',
    'traefik.tcp.routers.t.rule': rule,
    'traefik.tcp.routers.t.entrypoints': eps,
    'traefik.tcp.services.t.loadbalancer.server.port': '80',
    ...extra,
  })
  it.each([
    ['HostSNI(`*`) on web', tcp('web', 'HostSNI(`*`)')],
    ['HostSNI(`*`) on web-v6', tcp('web', 'hostsni(`*`)')],
    ['HostSNI(`*`) with TLS on websecure', tcp('websecure', 'HostSNI(`*`)', {'traefik.tcp.routers.t.tls': 'true'})],
    ['HostSNI(`*`) with passthrough on websecure,websecure-v6', tcp('websecure,websecure-v6', 'HostSNI(`*`)', {'traefik.tcp.routers.t.tls.passthrough': 'true'})],
    ['ClientIP only, with TLS, on websecure', tcp('websecure', 'ClientIP(`0.0.0.0/0`)', {'traefik.tcp.routers.t.tls': 'true'})],
    ['a named host without TLS on web', tcp('web', 'HostSNI(`mine.example.com`)')],
  ])('refuses %s', (_name, labels) => {
    const {kinds, r} = outcome(labels)
    expect(kinds).toEqual(['shared-entrypoint'])
    expect(r.config.tcp?.routers).toBeUndefined()
  })

  it('allows a TLS router for a name of its own on websecure, and HostSNI(`*`) on a TCP port', () => {
    const {kinds, r} = outcome(tcp('websecure', 'HostSNI(`db.example.com`)', {'traefik.tcp.routers.t.tls.passthrough': 'true'}))
    expect(kinds).toEqual([])
    expect(Object.keys(r.config.tcp!.routers)).toEqual([`t-${THIEF}`])
    expect(outcome(tcp('tcp-5432', 'HostSNI(`*`)')).kinds).toEqual([])
  })
})

describe('properties', () => {
  /** Spellings Traefik reads as the victim's name, and some of the thief's own. */
  const hostLiteral = fc.oneof(
    fc.constantFrom('shop.example.com', 'mine.example.com', 'svc0-2816.example.com', 'svc0-2880.example.com').chain((h) =>
      fc.tuple(fc.constant(h), fc.boolean(), fc.boolean(), fc.nat(h.length - 1), fc.constantFrom('raw', 'x', 'u', 'octal', 'cr')).map(([host, upper, dot, at, style]) => {
        const text = (upper ? host.toUpperCase() : host) + (dot ? '.' : '')
        const ch = text.charCodeAt(at)
        const hex = ch.toString(16).padStart(2, '0')
        switch (style) {
          case 'x':
            return `"${text.slice(0, at)}\\x${hex}${text.slice(at + 1)}"`
          case 'u':
            return `"${text.slice(0, at)}\\u00${hex}${text.slice(at + 1)}"`
          case 'octal':
            return `"${text.slice(0, at)}\\${ch.toString(8).padStart(3, '0')}${text.slice(at + 1)}"`
          case 'cr':
            return `\`${text.slice(0, at)}\r${text.slice(at)}\``
          default:
            return `\`${text}\``
        }
      }),
    ),
    fc.string({maxLength: 8}).map((s) => `\`${s.replaceAll('`', '')}\``),
  )
  const matcher = fc.constantFrom('Host', 'host', 'HOST')
  const rule = fc.oneof(
    fc.tuple(matcher, hostLiteral).map(([m, h]) => `${m}(${h})`),
    fc.tuple(matcher, hostLiteral, hostLiteral).map(([m, a, b]) => `${m}(${a}) || Host(${b})`),
    fc.tuple(matcher, hostLiteral).map(([m, h]) => `!!${m}(${h}) && PathPrefix(\`/\`)`),
  )
  const address = fc.oneof(
    fc.constantFrom('127.0.11.2', '127.0.11.67', '127.0.11.002', '127.1', 'localhost', 'LOCALHOST.', '[::1]', '[::ffff:127.0.11.2]', '0.0.0.0', '10.5.0.2', 'server-1', 'shop.example.com', 'auth.example.org', '203.0.113.9'),
    fc.ipV4().map(String),
  )
  const authAddress = fc.tuple(fc.constantFrom('', 'x@', '127.0.11.67@', '127.0.11.2:80@'), address, fc.constantFrom('', ':80', ':7111'), fc.constantFrom('/', '?@127.0.11.67', '#@127.0.11.67')).map(
    ([user, host, port, tail]) => `http://${user}${host}${port}${tail}`,
  )
  const port = fc.oneof(fc.constantFrom('80', '080', '80@127.0.11.2:80', '7111#', '65536', '0'), fc.nat(70_000).map(String))
  const scheme = fc.constantFrom(undefined, 'http', 'https', 'h2c', 'HTTP', 'http://127.0.0.1:7111/traefik#', 'x@127.0.11.2')
  const thiefLabels = fc.record(
    {
      rule,
      ruleSyntax: fc.constantFrom(undefined, 'v2', 'v3'),
      port,
      scheme,
      auth: fc.option(authAddress),
      tcp: fc.option(fc.tuple(fc.constantFrom('web', 'websecure', 'tcp-5432', 'websecure,websecure-v6'), fc.constantFrom('HostSNI(`*`)', 'HostSNI(`SHOP.example.com`)', 'HostSNI(`mine.example.com`)'), fc.boolean())),
    },
    {requiredKeys: ['rule', 'port']},
  ).map((g) => {
    const l: Record<string, string> = {'traefik.enable': 'true', 'traefik.http.routers.r.rule': g.rule, 'traefik.http.services.s.loadbalancer.server.port': g.port}
    if (g.ruleSyntax !== undefined) l['traefik.http.routers.r.ruleSyntax'] = g.ruleSyntax
    if (g.scheme !== undefined) l['traefik.http.services.s.loadbalancer.server.scheme'] = g.scheme
    if (g.auth !== null && g.auth !== undefined) {
      l['traefik.http.middlewares.a.forwardauth.address'] = g.auth
      l['traefik.http.routers.r.middlewares'] = 'a'
    }

    if (g.tcp !== null && g.tcp !== undefined) {
      l['traefik.tcp.routers.t.entrypoints'] = g.tcp[0]
      l['traefik.tcp.routers.t.rule'] = g.tcp[1]
      if (g.tcp[2]) l['traefik.tcp.routers.t.tls'] = 'true'
    }

    return l
  })

  /** A host as Traefik's Host matcher compares it, written independently of isolation.ts. */
  const traefikForm = (h: string): string => h.toLowerCase().replace(/\.$/, '')

  it('no label set yields a backend or forwardAuth host outside its repository, or a hostname routed by two repositories', () => {
    fc.assert(
      fc.property(fc.array(thiefLabels, {minLength: 1, maxLength: 4}), fc.boolean(), (sets, victimFirst) => {
        // Who had a name first is the older container.
        const first = victimFirst ? victim() : undefined
        const thieves = sets.map((l, i) => container(THIEF, i + 1, l))
        const r = build([first ?? victim(), ...thieves])
        const owner = (name: string) => Number(/-(\d+)$/.exec(name)![1])
        expectOwnBackends(r)

        for (const [name, m] of Object.entries((r.config.http?.middlewares ?? {}) as Record<string, any>)) {
          if (m.forwardAuth === undefined) continue
          const host = parseGoUrl(m.forwardAuth.address)!.hostname
          const v4 = parseIPv4(host)
          if (v4 !== null && v4 >>> 24 === 127) expect(ownsIp(owner(name), host), m.forwardAuth.address).toBe(true)
          expect(parseIPv6(host), m.forwardAuth.address).toBeNull()
          expect(['localhost', 'server-1', '0.0.0.0', '10.5.0.2', 'shop.example.com']).not.toContain(traefikForm(host))
        }

        const holders = new Map<string, Set<number>>()
        for (const route of r.routes) {
          if (route.rule === null) continue
          const set = ruleHosts(route.rule, route.protocol === 'tcp' ? 'tcp' : 'http', (r.config[route.protocol] as any).routers[route.router].ruleSyntax)
          expect(set.all && route.protocol === 'http').toBe(false)
          for (const h of set.all ? [{value: '*'}] : set.hosts) {
            const key = h.value === '*' ? `*@${route.entryPoints.join(',')}` : traefikForm(h.value)
            holders.set(key, (holders.get(key) ?? new Set()).add(route.networkId))
          }
        }

        for (const [host, repos] of holders) expect(repos.size, host).toBe(1)
        if (victimFirst) expect(holders.get('shop.example.com')).toEqual(new Set([VICTIM]))
      }),
      {numRuns: 400},
    )
  })
})
