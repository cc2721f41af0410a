import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {Secret} from '../../config/secret.js'
import {UsageError} from '../../errors.js'
import {renderProgram} from './program.js'
import {DEFAULT_PROXY_IMAGE, renderProxyCompose, renderProxyEnv} from './proxy.js'
import {renderMachineInfra} from './render.js'
import {renderRouterConfig} from './router-config.js'
import {renderDockerUnitTemplate, renderRouterUnit} from './units.js'

const bundle = Buffer.from('#!/usr/bin/env node\nconsole.log("renet")\n')

describe('router.yaml', () => {
  it('renders the route server contract exactly: traefik.yml named, no entry point list', () => {
    expect(renderRouterConfig({machineName: 'server-1', baseDomain: 'example.com', publicIPv4: '203.0.113.50', publicIPv6: '2001:db8::1', tcpPorts: [25], udpPorts: [5353]})).toBe(
      `version: 1
machine: server-1
baseDomain: example.com
listen: 127.0.0.1:7111
socketDir: /var/run/rediacc
stateDir: /var/lib/rediacc/router
certResolver: letsencrypt
traefikConfig: /opt/rediacc/proxy/traefik.yml
dynamicPorts: {tcp: {from: 10000, to: 10010}}
`,
    )
  })

  it('does not change with the TCP/UDP ports or addresses (those live in traefik.yml only)', () => {
    const a = renderRouterConfig({machineName: 'edge', publicIPv4: '203.0.113.50'})
    const b = renderRouterConfig({machineName: 'edge', publicIPv6: '2001:db8::1', tcpPorts: [25, 2525], udpPorts: [123]})
    expect(b).toBe(a)
  })

  it('omits baseDomain when unset and parses as the documented shape', () => {
    const text = renderRouterConfig({machineName: 'edge', publicIPv6: '2001:db8::1'})
    expect(text).not.toContain('baseDomain')
    const doc = parse(text)
    expect(doc.entrypoints).toBeUndefined()
    expect(doc.traefikConfig).toBe('/opt/rediacc/proxy/traefik.yml')
    expect(doc.dynamicPorts).toEqual({tcp: {from: 10_000, to: 10_010}})
    expect(doc.listen).toBe('127.0.0.1:7111')
  })
})

describe('proxy files', () => {
  it('docker-compose.yml: pinned image, host network, env file, both mounts', () => {
    const text = renderProxyCompose({})
    const doc = parse(text)
    expect(doc).toEqual({
      services: {
        traefik: {
          image: DEFAULT_PROXY_IMAGE,
          container_name: 'rediacc-proxy',
          network_mode: 'host',
          restart: 'unless-stopped',
          env_file: 'config.env',
          command: ['--configFile=/etc/traefik/traefik.yml'],
          volumes: ['./traefik.yml:/etc/traefik/traefik.yml:ro', './letsencrypt:/letsencrypt'],
        },
      },
    })
    expect(DEFAULT_PROXY_IMAGE).toMatch(/^traefik:v3\.\d+\.\d+$/)
    expect(parse(renderProxyCompose({proxyImage: 'rdc-test/stand-in:local'})).services.traefik.image).toBe('rdc-test/stand-in:local')
  })

  it('config.env holds the token only as file content', () => {
    expect(renderProxyEnv({cfDnsApiToken: new Secret('tok_123-abc')})).toBe(
      '# Managed by rdc (rdc context push-infra): local edits are overwritten on the next push.\n' +
        '# Secrets for the rediacc-proxy container only (mode 0600).\nCF_DNS_API_TOKEN=tok_123-abc\n',
    )
    expect(renderProxyEnv({})).not.toContain('CF_DNS_API_TOKEN')
    expect(() => renderProxyEnv({cfDnsApiToken: new Secret('abc\nEVIL=1')})).toThrow(UsageError)
  })
})

describe('ACME and proxy settings in the proxy files', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

  it('docker-compose.yml mounts acme-ca.pem read-only beside traefik.yml only when CA certificates are set', () => {
    expect(parse(renderProxyCompose({acmeCaCertificates: PEM})).services.traefik.volumes).toEqual([
      './traefik.yml:/etc/traefik/traefik.yml:ro',
      './letsencrypt:/letsencrypt',
      './acme-ca.pem:/etc/traefik/acme-ca.pem:ro',
    ])
    expect(renderProxyCompose({})).not.toContain('acme-ca.pem')
  })

  it('config.env: the token first, then the extra environment sorted by name', () => {
    expect(renderProxyEnv({cfDnsApiToken: new Secret('tok'), proxyEnv: {CLOUDFLARE_PROPAGATION_TIMEOUT: '300', CLOUDFLARE_BASE_URL: 'https://cf.test/client/v4'}}).split('\n').slice(2)).toEqual([
      'CF_DNS_API_TOKEN=tok',
      'CLOUDFLARE_BASE_URL=https://cf.test/client/v4',
      'CLOUDFLARE_PROPAGATION_TIMEOUT=300',
      '',
    ])
    expect(renderProxyEnv({proxyEnv: {A: '1'}}).endsWith('\nA=1\n')).toBe(true)
    // Never a second variable smuggled in through a value, nor the token through --proxy-env.
    const bads: Array<Record<string, string>> = [{A: 'x\nCF_DNS_API_TOKEN=evil'}, {CF_DNS_API_TOKEN: 'evil'}, {'A B': '1'}]
    for (const bad of bads) {
      expect(() => renderProxyEnv({proxyEnv: bad})).toThrow(UsageError)
    }
  })

  it('the machine set gains /opt/rediacc/proxy/acme-ca.pem (0644, proxy) when set; secret values stay in config.env', () => {
    const set = renderMachineInfra({
      machineName: 'server-1',
      publicIPv4: '203.0.113.50',
      acmeCaServer: 'https://ca.internal/dir',
      acmeCaCertificates: PEM,
      dnsResolvers: ['9.9.9.9:53'],
      proxyEnv: {LEGO_API_TOKEN: 'env-SECRET-1'},
      renetBundle: bundle,
      renetVersion: '0.1.0',
    })
    const ca = set.files.find((f) => f.path === '/opt/rediacc/proxy/acme-ca.pem')
    expect(ca).toEqual({path: '/opt/rediacc/proxy/acme-ca.pem', content: PEM, mode: 0o644, role: 'proxy'})
    expect(set.files.map((f) => f.path).slice(0, 5)).toEqual([
      '/opt/rediacc/proxy/traefik.yml',
      '/opt/rediacc/proxy/docker-compose.yml',
      '/opt/rediacc/proxy/config.env',
      '/opt/rediacc/proxy/acme-ca.pem',
      '/opt/rediacc/proxy/letsencrypt/acme.json',
    ])
    expect(set.files.filter((f) => String(f.content).includes('env-SECRET-1')).map((f) => [f.path, f.secret])).toEqual([['/opt/rediacc/proxy/config.env', true]])
    const noCa = renderMachineInfra({machineName: 'server-1', publicIPv4: '203.0.113.50', renetBundle: bundle, renetVersion: '0.1.0'})
    expect(noCa.files.map((f) => f.path)).not.toContain('/opt/rediacc/proxy/acme-ca.pem')
  })
})

describe('units', () => {
  it('rediacc-router.service: restart always, hardened, writes only its state folder', () => {
    const unit = renderRouterUnit()
    for (const line of [
      'ExecStart=/usr/bin/renet router --config /etc/rediacc/router.yaml',
      'Restart=always',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/rediacc/router',
      'StateDirectory=rediacc/router',
      'RuntimeDirectory=rediacc',
      'RuntimeDirectoryPreserve=yes',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit.split('\n')).toContain(line)
    }
    // The router must keep reaching the daemons' unix sockets and listen on loopback TCP.
    expect(unit).toMatch(/^RestrictAddressFamilies=.*AF_UNIX.*AF_INET /m)
    expect(unit).not.toMatch(/^(PrivateNetwork|MemoryDenyWriteExecute)=/m)
  })

  it('rediacc-docker@.service: one private dockerd per network id', () => {
    const unit = renderDockerUnitTemplate()
    expect(unit.split('\n')).toContain(
      'ExecStart=dockerd --host unix:///var/run/rediacc/docker-%i.sock --data-root /var/lib/rediacc/docker/%i --exec-root /var/run/rediacc/exec-%i --pidfile /var/run/rediacc/docker-%i.pid --config-file /var/run/rediacc/dockerd-%i.json --iptables=false',
    )
    expect(unit.split('\n')).toContain('Restart=always')
    // Its bridge, address pool and NAT come and go with it (so a reboot brings them back, a delete removes them).
    expect(unit.split('\n')).toContain('ExecStartPre=/usr/bin/renet net up %i')
    expect(unit.split('\n')).toContain('ExecStopPost=-/usr/bin/renet net down %i')
  })
})

describe('renet program', () => {
  it('installs the bundle under its version, a relative current link and the launcher', () => {
    const {files, links} = renderProgram({renetBundle: bundle, renetVersion: '1.4.2'})
    expect(files.map((f) => [f.path, f.mode.toString(8), f.role])).toEqual([
      ['/usr/lib/rediacc/renet/1.4.2/renet.cjs', '755', 'program'],
      ['/usr/bin/renet', '755', 'program'],
    ])
    expect(files[0]!.content).toBe(bundle)
    expect(links).toEqual([{path: '/usr/lib/rediacc/renet/current', target: '1.4.2', role: 'program'}])
    expect(files[1]!.content).toContain('exec node /usr/lib/rediacc/renet/current/renet.cjs "$@"\n')
    expect(() => renderProgram({renetBundle: bundle, renetVersion: '../../etc'})).toThrow(UsageError)
  })
})

describe('machine set', () => {
  it('lists every server file with its mode, role and secrecy', () => {
    const set = renderMachineInfra({
      machineName: 'server-1',
      publicIPv4: '203.0.113.50',
      cfDnsApiToken: new Secret('tok'),
      renetBundle: bundle,
      renetVersion: '0.1.0',
    })
    expect(set.files.map((f) => [f.path, f.mode.toString(8), f.role, Boolean(f.secret), Boolean(f.createOnly)])).toEqual([
      ['/opt/rediacc/proxy/traefik.yml', '644', 'proxy', false, false],
      ['/opt/rediacc/proxy/docker-compose.yml', '644', 'proxy', false, false],
      ['/opt/rediacc/proxy/config.env', '600', 'proxy', true, false],
      ['/opt/rediacc/proxy/letsencrypt/acme.json', '600', 'proxy', false, true],
      ['/etc/rediacc/router.yaml', '644', 'router', false, false],
      ['/etc/systemd/system/rediacc-router.service', '644', 'units', false, false],
      ['/etc/systemd/system/rediacc-docker@.service', '644', 'units', false, false],
      ['/usr/lib/rediacc/renet/0.1.0/renet.cjs', '755', 'program', false, false],
      ['/usr/bin/renet', '755', 'program', false, false],
    ])
    // The token appears in config.env and nowhere else.
    const holders = set.files.filter((f) => String(f.content).includes('CF_DNS_API_TOKEN=tok')).map((f) => f.path)
    expect(holders).toEqual(['/opt/rediacc/proxy/config.env'])
  })
})
