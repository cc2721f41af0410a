/**
 * Repository isolation, rule by rule (our policy: see isolation.ts). Repository 2816 owns 127.0.11.2–127.0.11.62;
 * repository 2880 owns 127.0.11.66–127.0.11.126.
 */
import {describe, expect, it} from 'vitest'

import {
  backendPort,
  backendScheme,
  forwardAuthProblem,
  healthCheckPathProblem,
  hostnameClaim,
  ownsIp,
  parseGoUrl,
  serverUrl,
  sharedEntrypointProblem,
  type MachineIdentity,
} from './isolation.js'

describe('hostnames are claimed as Traefik matches them', () => {
  const table: Array<[string, string, string | null, ('Host' | 'HostSNI')?]> = [
    ['a plain name', 'app.example.com', 'app.example.com'],
    ['letter case', 'APP.Example.COM', 'app.example.com'],
    ['a trailing dot', 'app.example.com.', 'app.example.com'],
    ['a trailing dot and case', 'App.Example.Com.', 'app.example.com'],
    ['an IPv4 address', '203.0.113.5', '203.0.113.5'],
    ['a single label', 'intranet', 'intranet'],
    ['punycode', 'xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['the TCP catch-all', '*', '*', 'HostSNI'],
    ['two trailing dots (Traefik drops one: the rest matches "app.example.com." requests)', 'app.example.com..', null],
    ['a tab', 'app\t.example.com', null],
    ['a newline', 'app.example.com\n', null],
    ['DEL', 'app\u007F.example.com', null],
    ['non-ASCII', 'bücher.example', null],
    ['fullwidth letters (IDNA would map them to ASCII)', 'ａｐｐ.example.com', null],
    ['a wildcard in Host', '*.example.com', null],
    ['* in Host', '*', null],
    ['an empty label', 'app..example.com', null],
    ['a leading dot', '.example.com', null],
    ['a dash at a label edge', '-app.example.com', null],
    ['an underscore', 'my_app.example.com', null],
    ['a port', 'app.example.com:443', null],
    ['a space', 'app example.com', null],
    ['a label of 64 characters', `${'a'.repeat(64)}.example.com`, null],
    ['a name of 254 characters', `${'a.'.repeat(126)}ab`, null],
  ]
  it.each(table)('%s', (_name, value, expected, matcher) => {
    const claim = hostnameClaim(value, value, matcher ?? 'Host')
    expect(claim.ok ? claim.value : null).toBe(expected)
  })

  it('refuses a carriage return that Go drops from a raw string', () => {
    // Traefik matches `victim.example.com` for this literal; the claim must not pass as that name.
    const claim = hostnameClaim('victim.example.com', '`victim\r.example.com`')
    expect(claim).toEqual({ok: false, reason: expect.stringMatching(/control characters/)})
  })
})

describe('service IPs are written as Go reads them', () => {
  it.each([
    ['127.0.11.2', 2816, true],
    ['127.0.11.62', 2816, true],
    ['127.0.11.63', 2816, false],
    ['127.0.11.1', 2816, false],
    ['127.0.11.66', 2816, false],
    ['127.0.11.66', 2880, true],
    ['127.0.11.02', 2816, false],
    ['127.0.11.002', 2816, false],
    ['127.000.11.2', 2816, false],
    ['127.0.11.2 ', 2816, false],
    ['127.0.2818', 2816, false],
    ['::ffff:127.0.11.2', 2816, false],
  ] as const)('%s belongs to %d: %s', (ip, nid, owned) => expect(ownsIp(nid, ip)).toBe(owned))
})

describe('URLs are split as Go net/url splits them', () => {
  it.each([
    ['http://127.0.11.2:80/x', {hostname: '127.0.11.2', port: '80', userinfo: null}],
    ['HTTP://a.example:8080', {scheme: 'http', hostname: 'a.example', port: '8080'}],
    ['http://80@127.0.11.2:80', {hostname: '127.0.11.2', port: '80', userinfo: '80'}],
    ['http://127.0.11.3:80@127.0.11.2:80', {hostname: '127.0.11.2', userinfo: '127.0.11.3:80'}],
    ['http://a@b@127.0.11.2/', {hostname: '127.0.11.2', userinfo: 'a@b'}],
    ['http://127.0.11.2?@127.0.11.66', {hostname: '127.0.11.2'}],
    ['http://127.0.11.66#@127.0.11.2', {hostname: '127.0.11.66'}],
    ['http://[::1]:80/', {hostname: '::1', port: '80'}],
    ['http://[::ffff:127.0.0.1]/', {hostname: '::ffff:127.0.0.1', port: ''}],
    ['http://::1/', {hostname: ':', port: '1'}],
  ] as const)('%s', (url, expected) => expect(parseGoUrl(url)).toMatchObject(expected))

  it.each([
    ['no scheme', '//127.0.0.1/'],
    ['opaque (no host)', 'http:127.0.0.1'],
    ['an empty host', 'http:///x'],
    ['a bracket left open', 'http://[::1/'],
    ['text after the bracket', 'http://[::1]x/'],
    ['a port that is not digits', 'http://a.example:8o/'],
    ['a backslash in the user info', 'http://127.0.11.2\\@127.0.11.66/'],
    ['a control character', 'http://a.example/\n'],
  ])('refuses %s', (_name, url) => expect(parseGoUrl(url)).toBeNull())
})

describe('backends are the container\'s own service IP', () => {
  it.each([
    ['80', '80'],
    ['8080', '8080'],
    ['65535', '65535'],
    ['080', '80'],
    [8080, '8080'],
  ] as const)('port %s is written %s', (raw, expected) => expect(backendPort(raw)).toEqual({ok: true, value: expected}))

  it.each([['0'], ['65536'], ['80@127.0.11.66:80'], ['80/x'], ['80#'], ['-1'], [' 80'], ['8e1'], ['0x50'], ['']])('port %j is refused', (raw) => {
    expect(backendPort(raw).ok).toBe(false)
  })

  it.each([[undefined, 'http'], ['http', 'http'], ['https', 'https'], ['h2c', 'h2c'], ['HTTPS', 'https']] as const)('scheme %s is %s', (raw, expected) => {
    expect(backendScheme(raw)).toEqual({ok: true, value: expected})
  })

  it.each([['http://127.0.0.1:7111/traefik#'], ['ftp'], ['http:'], ['ws'], ['']])('scheme %j is refused', (raw) => expect(backendScheme(raw).ok).toBe(false))

  it('builds a URL that parses back to the IP and port', () => {
    expect(serverUrl('http', '127.0.11.2', '8080')).toEqual({ok: true, value: 'http://127.0.11.2:8080'})
    expect(serverUrl('http', '127.0.11.2', '80@127.0.11.66:80').ok).toBe(false)
  })

  it.each([
    ['/health', null],
    ['/a//b?x=1', null],
    ['//127.0.11.66/health', /not another address/],
    ['http://127.0.0.1:7111/', /not another address/],
    ['health', /not another address/],
    ['/\\127.0.0.1/', /not another address/],
  ] as const)('health check path %s', (path, problem) => {
    const p = healthCheckPathProblem(path)
    if (problem === null) expect(p).toBeNull()
    else expect(p).toMatch(problem)
  })
})

describe('forwardAuth reaches this machine only at the repository\'s own service IPs', () => {
  const machine: MachineIdentity = {
    baseDomain: 'example.com',
    localAddresses: ['127.0.0.1', '10.5.0.2', '::1', 'fd00:5::2', 'fe80::1%eth0'],
    localNames: ['server-1', 'localhost', 'ip6-localhost'],
  }
  const allowed = [
    'http://127.0.11.2:9091/api/verify',
    'http://127.0.11.62/',
    'https://auth.example.org/verify',
    'https://user:pass@auth.example.org/',
    'http://203.0.113.9:4181',
    'http://[2001:db8::5]:80/',
    'http://127.0.11.2?@127.0.11.66/',
  ]
  it.each(allowed)('allows %s', (address) => expect(forwardAuthProblem(address, 2816, machine)).toBeNull())

  const refused: Array<[string, RegExp]> = [
    ['http://127.0.11.66:80/', /loopback/],
    ['http://127.0.0.1:7111/traefik', /loopback/],
    ['http://127.0.0.1:8082/api/rawdata', /loopback/],
    ['http://x@127.0.11.66/', /loopback/],
    ['http://127.0.11.2:80@127.0.11.66:80/', /loopback/],
    ['http://127.0.11.2\\@127.0.11.66/', /not an absolute/],
    ['http://127.0.11.66#@127.0.11.2', /loopback/],
    ['http://127.0.11.02/', /address spelling/],
    ['http://127.1/', /address spelling/],
    ['http://2130706433/', /address spelling/],
    ['http://0x7f000001/', /address spelling/],
    ['http://0/', /address spelling/],
    ['http://0.0.0.0:7111/', /unspecified/],
    ['http://localhost:7111/', /localhost/],
    ['http://LOCALHOST.:7111/', /localhost/],
    ['http://app.localhost/', /localhost/],
    ['http://server-1:7111/', /own name/],
    ['http://ip6-localhost/', /localhost|own name/],
    ['http://[::1]:7111/', /loopback/],
    ['http://[::]:7111/', /unspecified/],
    ['http://[::ffff:127.0.11.66]/', /IPv4-mapped/],
    ['http://[::ffff:7f00:b42]/', /IPv4-mapped/],
    ['http://[::ffff:127.0.11.2]/', /IPv4-mapped/],
    ['http://[::127.0.0.1]/', /IPv4-compatible/],
    ['http://[64:ff9b::7f00:1]/', /NAT64/],
    ['http://[fe80::1%25eth0]/', /zones/],
    ['http://[fe80::1]/', /link-local/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://10.5.0.2:7111/', /own address/],
    ['http://[fd00:5::2]:7111/', /own address/],
    ['http://[fd00:5:0:0:0:0:0:2]:7111/', /own address/],
    ['https://victim-2880.example.com/', /base domain/],
    ['https://EXAMPLE.com./', /base domain/],
    ['http://ｌｏｃａｌｈｏｓｔ/', /not ASCII/],
    ['http://127.0.11.2:99999/', /not a port/],
    ['ftp://auth.example.org/', /scheme ftp/],
    ['auth.example.org', /not an absolute/],
    ['http:127.0.0.1', /not an absolute/],
    ['http://[::1/', /not an absolute/],
    ['http://::1/', /not a DNS name/],
  ]
  it.each(refused)('refuses %s', (address, reason) => expect(forwardAuthProblem(address, 2816, machine)).toMatch(reason))
})

describe('TCP routers on the entry points every repository shares', () => {
  it.each([
    [['tcp-5432'], ['*'], false, null],
    [['tcp-5432', 'tcp-5432-v6'], ['*'], false, null],
    [['websecure'], ['db.example.com'], true, null],
    [['web'], ['*'], false, /without TLS on web/],
    [['web-v6'], ['db.example.com'], false, /without TLS/],
    [['websecure'], ['*'], false, /without TLS on websecure/],
    [['websecure', 'websecure-v6'], ['*'], true, /HostSNI\(`\*`\) on websecure, websecure-v6/],
    [['tcp-5432', 'websecure'], ['*'], true, /on websecure/],
  ] as const)('%j with hosts %j, TLS %s', (eps, hosts, tls, problem) => {
    const p = sharedEntrypointProblem('r', eps, hosts, tls)
    if (problem === null) expect(p).toBeNull()
    else expect(p).toMatch(problem)
  })
})
