import {describe, expect, it} from 'vitest'

import {canonicalIp, sameIp} from '../ip.js'
import {compareVersions} from '../semver.js'
import {parseContainer, parseDockerVersion} from './docker.js'
import {hostsOfRule, ParseError, parseHealth, parseRoutes} from './router.js'
import {parseSs, socketsFor} from './ss.js'
import {parseTraefikEntryPoints, parseTraefikRouters} from './traefik.js'

describe('ss -Hltnup', () => {
  const out = [
    'tcp   LISTEN 0      4096     203.0.113.50:443        0.0.0.0:*    users:(("traefik",pid=812,fd=9))',
    'tcp   LISTEN 0      4096   [2001:db8::1]:443           [::]:*    users:(("traefik",pid=812,fd=10))',
    'tcp   LISTEN 0      4096               *:80               *:*    users:(("traefik",pid=812,fd=7))',
    'tcp   LISTEN 0      511        127.0.0.1:7111       0.0.0.0:*    users:(("node",pid=640,fd=19))',
    'udp   UNCONN 0      0      127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=250,fd=13))',
    'tcp   LISTEN 0      128   [::ffff:10.0.0.2]:5432       *:*',
    'tcp   LISTEN 0      128             [::]:22            [::]:*    users:(("sshd",pid=300,fd=4),("sshd",pid=301,fd=4))',
    'udp   UNCONN 0      0            0.0.0.0:53         0.0.0.0:*    users:(("dnsmasq",pid=251,fd=4))',
    '',
    'garbage line',
  ].join('\n')

  it('parses addresses, ports, families and owners', () => {
    expect(parseSs(out)).toEqual([
      {proto: 'tcp', address: '203.0.113.50', port: 443, processes: ['traefik']},
      {proto: 'tcp', address: '2001:db8::1', port: 443, processes: ['traefik']},
      {proto: 'tcp', address: '*', port: 80, processes: ['traefik']},
      {proto: 'tcp', address: '127.0.0.1', port: 7111, processes: ['node']},
      {proto: 'udp', address: '127.0.0.53', port: 53, processes: ['systemd-resolve']},
      {proto: 'tcp', address: '10.0.0.2', port: 5432, processes: []},
      {proto: 'tcp', address: '::', port: 22, processes: ['sshd']},
      {proto: 'udp', address: '0.0.0.0', port: 53, processes: ['dnsmasq']},
    ])
  })

  it('matches a wildcard bind for any address, a specific bind only for its own', () => {
    const s = parseSs(out)
    expect(socketsFor(s, 'tcp', 80, '203.0.113.50')).toHaveLength(1)
    expect(socketsFor(s, 'tcp', 443, '203.0.113.50').map((x) => x.address)).toEqual(['203.0.113.50'])
    expect(socketsFor(s, 'udp', 53, undefined)).toHaveLength(2)
    expect(socketsFor(s, 'tcp', 53)).toHaveLength(0)
    // A wildcard of one family covers only that family's addresses.
    expect(socketsFor(s, 'udp', 53, '203.0.113.50').map((x) => x.processes)).toEqual([['dnsmasq']])
    expect(socketsFor(s, 'udp', 53, '2001:db8::1')).toEqual([])
    expect(socketsFor(s, 'tcp', 22, '2001:db8::1')).toHaveLength(1)
    expect(socketsFor(s, 'tcp', 22, '203.0.113.50')).toEqual([])
  })
})

describe('route server bodies (RoutesReport, HealthReport)', () => {
  it('reads /routes.json: router names, hosts from the rule, entry points, backends, container', () => {
    const routes = parseRoutes(
      JSON.stringify({
        routes: [
          {protocol: 'http', router: 'shop-web', labelName: 'web', rule: 'Host(`A.example.com`) || Host(`b.example.com`)', entryPoints: ['websecure', 'websecure-v6'], service: 'shop-web', backends: ['http://127.0.11.2:80'], networkId: 2816, container: 'shop-web-1', source: 'labels'},
          {protocol: 'tcp', router: 'shop-imaps', labelName: 'imaps', rule: 'HostSNI(`mail.example.com`)', entryPoints: ['tcp-993'], service: 'shop-imaps', backends: ['127.0.11.3:993'], networkId: 2816, container: 'shop-mail-1', source: 'labels'},
          {protocol: 'udp', router: 'shop-dns', labelName: 'dns', rule: null, entryPoints: ['udp-53'], service: 'shop-dns', backends: ['127.0.11.9:53'], networkId: 2816, container: 'shop-dns-1', source: 'labels'},
          {protocol: 'ftp', router: 'x'},
        ],
      }),
    )
    expect(routes).toEqual([
      {protocol: 'http', name: 'shop-web', labelName: 'web', traefikService: 'shop-web', source: 'labels', rule: 'Host(`A.example.com`) || Host(`b.example.com`)', hosts: ['a.example.com', 'b.example.com'], entryPoints: ['websecure', 'websecure-v6'], backends: ['http://127.0.11.2:80'], networkId: 2816, container: 'shop-web-1'},
      {protocol: 'tcp', name: 'shop-imaps', labelName: 'imaps', traefikService: 'shop-imaps', source: 'labels', rule: 'HostSNI(`mail.example.com`)', hosts: ['mail.example.com'], entryPoints: ['tcp-993'], backends: ['127.0.11.3:993'], networkId: 2816, container: 'shop-mail-1'},
      {protocol: 'udp', name: 'shop-dns', labelName: 'dns', traefikService: 'shop-dns', source: 'labels', hosts: [], entryPoints: ['udp-53'], backends: ['127.0.11.9:53'], networkId: 2816, container: 'shop-dns-1'},
    ])
  })

  it('refuses bodies that are not the documented objects', () => {
    expect(() => parseRoutes('<html>')).toThrow(ParseError)
    expect(() => parseRoutes('42')).toThrow('/routes.json is not an object')
    expect(() => parseRoutes('{"http":[]}')).toThrow('/routes.json has no routes list')
    expect(() => parseHealth('[]')).toThrow('/health is not an object')
  })

  it('reads /health: status, version, counts, daemons, refusals and skipped containers', () => {
    expect(
      parseHealth(
        JSON.stringify({
          status: 'degraded',
          version: '0.1.0',
          machine: 'm',
          autoRoutes: false,
          baseDomain: null,
          counts: {daemons: 2, containers: 3, routers: {http: 2, tcp: 1, udp: 0}, services: {http: 2, tcp: 1, udp: 0}, middlewares: 0, refusals: 1, skipped: 1},
          daemons: [
            {networkId: 2816, socket: '/var/run/rediacc/docker-2816.sock', lastSync: null, error: 'EOF', stale: true, containers: 2},
            {networkId: 2880, socket: '/var/run/rediacc/docker-2880.sock', lastSync: '2026-11-28T09:00:00Z', error: null, stale: false, containers: 1},
          ],
          refusals: [{container: 'c', containerId: 'id', networkId: 2816, object: 'web', kind: 'foreign-backend', reason: 'bad'}],
          skipped: [{container: 'db-1', containerId: 'id2', networkId: 2880, reason: 'no port for an automatic route'}],
          lastChange: null,
        }),
      ),
    ).toEqual({
      status: 'degraded',
      version: '0.1.0',
      routers: 3,
      services: 3,
      autoRoutes: false,
      baseDomain: null,
      daemons: [
        {name: 'docker-2816', stale: true, error: 'EOF', containers: 2},
        {name: 'docker-2880', stale: false, lastSync: '2026-11-28T09:00:00Z', containers: 1},
      ],
      refusals: [{reason: 'bad', kind: 'foreign-backend', container: 'c', networkId: 2816, object: 'web'}],
      skipped: [{container: 'db-1', networkId: 2880, reason: 'no port for an automatic route'}],
    })
    expect(parseHealth('{"status":"starting"}')).toEqual({status: 'starting', daemons: [], refusals: [], skipped: []})
  })

  it('takes host names from Host and HostSNI, not the catch-all', () => {
    expect(hostsOfRule("HostSNI(`*`)")).toEqual([])
    expect(hostsOfRule('Host(`a.test`, "b.test") && PathPrefix(`/x`)')).toEqual(['a.test', 'b.test'])
  })
})

describe('Traefik API and Docker bodies', () => {
  it('splits router names from their provider and keeps status and errors', () => {
    expect(parseTraefikRouters('http', JSON.stringify([{name: 'web@http', provider: 'http', entryPoints: ['websecure'], status: 'disabled', error: ['boom'], rule: 'Host(`a`)'}]))).toEqual([
      {protocol: 'http', name: 'web', provider: 'http', entryPoints: ['websecure'], status: 'disabled', errors: ['boom'], rule: 'Host(`a`)'},
    ])
    expect(parseTraefikEntryPoints('[{"name":"web","address":":80"}]')).toEqual([{name: 'web', address: ':80'}])
    expect(() => parseTraefikRouters('tcp', '{}')).toThrow('/api/tcp/routers is not a list')
  })

  it("folds Traefik's per-entry-point copies of an HTTP router (websecure-webapp, websecure-v6-webapp) into the router the provider served", () => {
    const body = JSON.stringify([
      {name: 'websecure-webapp-2816@http', provider: 'http', entryPoints: ['websecure'], status: 'enabled', rule: 'Host(`app.example.com`)'},
      {name: 'websecure-v6-webapp-2816@http', provider: 'http', entryPoints: ['websecure-v6'], status: 'warning', error: ['no cert'], rule: 'Host(`app.example.com`)'},
      {name: 'web-to-websecure@internal', provider: 'internal', entryPoints: ['web'], status: 'enabled'},
      {name: 'websecure-x@http', provider: 'http', entryPoints: ['web'], status: 'enabled'},
    ])
    expect(parseTraefikRouters('http', body)).toEqual([
      {protocol: 'http', name: 'webapp-2816', provider: 'http', entryPoints: ['websecure', 'websecure-v6'], status: 'warning', errors: ['no cert'], rule: 'Host(`app.example.com`)'},
      {protocol: 'http', name: 'web-to-websecure', provider: 'internal', entryPoints: ['web'], status: 'enabled', errors: []},
      // A provider's own name that merely starts with another entry point's name stays as it is.
      {protocol: 'http', name: 'websecure-x', provider: 'http', entryPoints: ['web'], status: 'enabled', errors: []},
    ])
  })

  it('reads container state and daemon versions', () => {
    expect(parseContainer(404, '')).toEqual({exists: false})
    expect(parseContainer(200, JSON.stringify({State: {Status: 'restarting', Running: true, Restarting: true, ExitCode: 1, Error: '', StartedAt: 't'}, Config: {Image: 'traefik:v3', Env: ['A=1'], Cmd: null, Labels: {'rediacc.service_name': 'web', n: 1}}}))).toEqual({
      exists: true,
      status: 'restarting',
      running: true,
      restarting: true,
      exitCode: 1,
      startedAt: 't',
      image: 'traefik:v3',
      env: ['A=1'],
      labels: {'rediacc.service_name': 'web'},
    })
    expect(() => parseContainer(500, '')).toThrow('docker answered 500')
    expect(parseDockerVersion('{"Version":"24.0.7","ApiVersion":"1.43"}')).toEqual({version: '24.0.7', apiVersion: '1.43'})
  })
})

describe('versions and addresses', () => {
  it('compares versions numerically with pre-releases first', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1)
    expect(compareVersions('1.41', '1.41.0')).toBe(0)
    expect(compareVersions('0.1.0-rc.1', '0.1.0')).toBe(-1)
    expect(compareVersions('v1.2.3', '1.2.3')).toBe(0)
  })

  it('compares IPv6 addresses in any spelling', () => {
    expect(canonicalIp('2001:DB8::1')).toBe('2001:0db8:0000:0000:0000:0000:0000:0001')
    expect(sameIp('2001:db8:0:0::1', '[2001:db8::1]')).toBe(true)
    expect(sameIp('::ffff:1.2.3.4', '::ffff:102:304')).toBe(true)
    expect(sameIp('203.0.113.50', '203.0.113.5')).toBe(false)
  })
})
