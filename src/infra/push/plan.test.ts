import {describe, expect, it} from 'vitest'

import {Secret} from '../../config/secret.js'
import {renderMachineInfra} from '../render/render.js'
import {entryPointsFor} from '../../net/entrypoints.js'
import {defaultServerCommands} from './server-commands.js'
import {findPortConflicts, parseListeners, portNeeds} from './ports.js'
import {parseServerProbe} from './probe.js'
import type {RemoteState} from './types.js'
import {buildPlan, missingPrerequisites, sha256} from './plan.js'

const input = {
  machineName: 'server-1',
  publicIPv4: '203.0.113.50',
  cfDnsApiToken: new Secret('very-secret-token'),
  renetBundle: Buffer.from('bundle'),
  renetVersion: '1.0.0',
}

const SS = [
  'udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=412,fd=13))',
  'tcp   LISTEN 0      511          0.0.0.0:80        0.0.0.0:*    users:(("nginx",pid=900,fd=6))',
  'tcp   LISTEN 0      4096   203.0.113.50:443        0.0.0.0:*    users:(("traefik",pid=77,fd=9))',
  'tcp   LISTEN 0      128       127.0.0.1:443        0.0.0.0:*    users:(("stunnel",pid=5,fd=3))',
  'tcp   LISTEN 0      4096      127.0.0.1:7111       0.0.0.0:*    users:(("node",pid=50,fd=20))',
  'tcp   LISTEN 0      128            [::]:22            [::]:*    users:(("sshd",pid=1,fd=4))',
  'tcp   LISTEN 0      128            [::]:3306          [::]:*    users:(("mariadbd",pid=31,fd=20))',
].join('\n')

const PROBE = [
  'tool\tdocker\t/usr/bin/docker',
  'tool\tdockerd\t/usr/sbin/dockerd',
  'tool\tsystemctl\t/usr/bin/systemctl',
  'tool\tnode\t/usr/bin/node',
  'tool\tcurl\t/usr/bin/curl',
  'node-version\tv18.20.4',
  'compose\tv1',
  'systemd\trunning',
  'router-enabled\tenabled',
  'router-active\tactive',
  'proxy\ttrue',
  'pending\trouter',
  'pending\tbogus',
  `file\t${'a'.repeat(64)}\t/etc/rediacc/router.yaml`,
  'link\t0.9.0\t/usr/lib/rediacc/renet/current',
  'missing\t-\t/usr/bin/renet',
  'ss',
  SS,
].join('\n')

function state(over: Partial<RemoteState> = {}): RemoteState {
  return {...parseServerProbe(PROBE), pending: [], listeners: '', ...over}
}

describe('probe report', () => {
  it('parses tools, versions, service state, pending actions, hashes and links', () => {
    const s = parseServerProbe(PROBE)
    expect(s.tools).toEqual({docker: '/usr/bin/docker', dockerd: '/usr/sbin/dockerd', systemctl: '/usr/bin/systemctl', node: '/usr/bin/node', curl: '/usr/bin/curl'})
    expect([s.nodeVersion, s.compose, s.systemdRunning, s.routerEnabled, s.routerActive, s.proxyRunning]).toEqual(['v18.20.4', 'v1', true, 'enabled', 'active', 'true'])
    expect(s.pending).toEqual(['router'])
    expect([...s.hashes]).toEqual([
      ['/etc/rediacc/router.yaml', 'a'.repeat(64)],
      ['/usr/lib/rediacc/renet/current', 'link:0.9.0'],
      ['/usr/bin/renet', null],
    ])
    expect(s.listeners).toBe(SS)
    expect(missingPrerequisites(s)).toEqual([])
  })

  it('names each missing prerequisite', () => {
    expect(missingPrerequisites(parseServerProbe('node-version\tv16.20.0\ncompose\tnone\n'))).toEqual(['docker', 'compose', 'systemd', 'node', 'curl'])
  })
})

describe('port conflicts', () => {
  it('parses ss listeners', () => {
    expect(parseListeners(SS).slice(0, 2)).toEqual([
      {proto: 'udp', address: '127.0.0.53', port: 53, process: 'systemd-resolve', pid: 412},
      {proto: 'tcp', address: '0.0.0.0', port: 80, process: 'nginx', pid: 900},
    ])
  })

  it('reports foreign holders of needed ports, not our own Traefik/router nor other addresses', () => {
    const conflicts = findPortConflicts(portNeeds(entryPointsFor({publicIPv4: '203.0.113.50'})), parseListeners(SS), true)
    // systemd-resolved on 127.0.0.53:53 and stunnel on 127.0.0.1:443 hold other addresses than 203.0.113.50.
    expect(conflicts.map((c) => [c.proto, c.port, c.by, c.holder])).toEqual([
      ['tcp', 80, 'web', 'nginx (pid 900) on 0.0.0.0'],
      ['tcp', 3306, 'tcp-3306', 'mariadbd (pid 31) on ::'],
    ])
  })

  it('conflicts are address-specific: 0.0.0.0 blocks IPv4 only, :: (dual-stack) and the same address block both', () => {
    const ss = [
      'tcp LISTEN 0 128 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=9,fd=4))',
      'tcp LISTEN 0 128 [2001:db8::5]:5432 [::]:* users:(("postgres",pid=10,fd=4))',
      'tcp LISTEN 0 128 127.0.11.2:5432 0.0.0.0:* users:(("postgres",pid=11,fd=4))',
      'udp UNCONN 0 0 [::]:53 [::]:* users:(("dnsmasq",pid=12,fd=4))',
      'tcp LISTEN 0 128 198.51.100.7:6379 0.0.0.0:* users:(("redis",pid=13,fd=4))',
    ].join('\n')
    const eps = entryPointsFor({publicIPv4: '198.51.100.7', publicIPv6: '2001:db8::5'})
    const c = findPortConflicts(portNeeds(eps), parseListeners(ss), false)
    expect(c.map((x) => [x.port, x.by, x.holder])).toEqual([
      [80, 'web', 'nginx (pid 9) on 0.0.0.0'],
      [5432, 'tcp-5432-v6', 'postgres (pid 10) on 2001:db8::5'],
      [6379, 'tcp-6379', 'redis (pid 13) on 198.51.100.7'],
      [53, 'udp-53', 'dnsmasq (pid 12) on ::'],
    ])
  })

  it("a listener inside the proxy container is the proxy's, whatever its program is called", () => {
    const ss = [
      'tcp LISTEN 0 128 127.0.0.1:8082 0.0.0.0:* users:(("httpd",pid=251,fd=3))',
      'tcp LISTEN 0 128 203.0.113.50:443 0.0.0.0:* users:(("httpd",pid=251,fd=4))',
      'tcp LISTEN 0 128 127.0.0.1:7111 0.0.0.0:* users:(("httpd",pid=300,fd=4))',
    ].join('\n')
    const needs = portNeeds(entryPointsFor({publicIPv4: '203.0.113.50'}))
    expect(findPortConflicts(needs, parseListeners(ss), true, [251]).map((c) => c.by)).toEqual(['rediacc-router'])
    expect(findPortConflicts(needs, parseListeners(ss), true, []).map((c) => c.by)).toEqual(['websecure', 'traefik (ping/API)', 'rediacc-router'])
    const probe = parseServerProbe('proxy\ttrue 4242\nproxy-pid\t251\nss\n')
    expect([probe.proxyRunning, probe.proxyPids]).toEqual(['true', [251]])
  })

  it('a wildcard listener conflicts with a specific HTTPS address', () => {
    const ss = 'tcp LISTEN 0 128 *:443 *:* users:(("apache2",pid=8,fd=4))'
    const c = findPortConflicts(portNeeds(entryPointsFor({publicIPv6: '2001:db8::1'})), parseListeners(ss), false)
    expect(c.map((x) => x.by)).toEqual(['websecure-v6'])
  })
})

describe('buildPlan', () => {
  const rendered = renderMachineInfra(input)

  it('a fresh server: every file created, services started in order, rollback ready', () => {
    const p = buildPlan({machine: 'server-1', rendered, state: state({hashes: new Map(), routerEnabled: 'disabled', routerActive: 'inactive', proxyRunning: 'missing'}), entryPoints: entryPointsFor(input), id: 'abc'})
    expect(p.files.every((f) => f.action === 'create')).toBe(true)
    expect(p.steps.map((s) => s.label)).toEqual([
      'create folders',
      ...rendered.files.map((f) => `upload ${f.path} (${Buffer.byteLength(f.content)} bytes)`),
      'commit 10 file(s) with backups',
      'systemctl daemon-reload',
      'enable rediacc-router',
      'restart rediacc-router',
      'recreate rediacc-proxy',
      'wait for rediacc-router /health',
      'wait for rediacc-proxy to run',
      'remove renet versions older than the previous one',
      'clear pending actions',
    ])
    const find = (label: string) => p.steps.find((s) => s.label === label)
    expect(find('restart rediacc-router')).toMatchObject({argv: ['systemctl', 'restart', 'rediacc-router.service'], service: 'router'})
    expect(find('recreate rediacc-proxy')).toMatchObject({
      argv: ['docker-compose', '-p', 'rediacc-proxy', '-f', '/opt/rediacc/proxy/docker-compose.yml', 'up', '-d', '--force-recreate', '--remove-orphans'],
    })
    const prepare = (find('create folders') as {argv: string[]}).argv
    expect(prepare.slice(0, 2)).toEqual(['sh', '-c'])
    expect(prepare.slice(3, prepare.indexOf('--'))).toEqual(['rdc-prepare', '/etc/rediacc', '/etc/systemd/system', '/opt/rediacc/proxy', '/opt/rediacc/proxy/letsencrypt', '/usr/bin', '/usr/lib/rediacc/renet', '/usr/lib/rediacc/renet/1.0.0', '/var/lib/rediacc/push'])
    // Every staged path is cleared first, with any temp file a cut upload left beside it.
    expect(prepare.slice(prepare.indexOf('--') + 1)).toContain('/opt/rediacc/proxy/.traefik.yml.rdc-staged')
    expect(p.rollback.map((s) => s.label)).toEqual(['restore the previous files', 'systemctl daemon-reload', 'restart rediacc-router', 'recreate rediacc-proxy'])
  })

  it('docker compose v2 is used when the server has it', () => {
    expect(defaultServerCommands('/opt/rediacc/proxy/docker-compose.yml', 'v2').recreateProxy.slice(0, 2)).toEqual(['docker', 'compose'])
  })

  it('an up-to-date, running server: a no-op plan', () => {
    const hashes = new Map<string, string | null>(rendered.files.map((f) => [f.path, sha256(f.content)]))
    for (const l of rendered.links) hashes.set(l.path, `link:${l.target}`)
    const p = buildPlan({machine: 'server-1', rendered, state: state({hashes}), entryPoints: entryPointsFor(input)})
    expect(p.noop).toBe(true)
    expect(p.steps).toEqual([])
    expect(p.reasons).toEqual({})
  })

  it('a stopped router is restarted even when nothing changed; pending actions are carried out', () => {
    const hashes = new Map<string, string | null>(rendered.files.map((f) => [f.path, sha256(f.content)]))
    for (const l of rendered.links) hashes.set(l.path, `link:${l.target}`)
    const p = buildPlan({machine: 'server-1', rendered, state: state({hashes, routerActive: 'failed', pending: ['proxy']}), entryPoints: entryPointsFor(input)})
    expect(p.reasons).toEqual({router: 'not running (failed)', proxy: 'a previous push did not finish'})
    expect(p.steps.map((s) => s.label)).toEqual([
      'restart rediacc-router',
      'recreate rediacc-proxy',
      'wait for rediacc-router /health',
      'wait for rediacc-proxy to run',
      'clear pending actions',
    ])
  })

  it('never exposes the secret: not in argv, not in the serialized plan', () => {
    const p = buildPlan({machine: 'server-1', rendered, state: state(), entryPoints: entryPointsFor(input)})
    const json = JSON.stringify(p)
    expect(json).not.toContain('very-secret-token')
    for (const s of [...p.steps, ...p.rollback]) if (s.kind === 'exec') expect(s.argv.join(' ')).not.toContain('very-secret-token')
    const upload = p.steps.find((s) => s.kind === 'upload' && s.path.endsWith('config.env'))
    expect(upload).toMatchObject({secret: true, mode: 0o600})
    expect(upload?.kind === 'upload' && upload.content instanceof Secret).toBe(true)
  })
})
