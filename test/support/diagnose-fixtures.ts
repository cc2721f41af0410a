/** Hand-written facts of a healthy machine, for the diagnose check tests; each test breaks one hop. */
import type {LocalFacts, RouteFacts, ServerFacts, SshFacts} from '../../src/diagnose/facts.js'
import type {MachineFacts} from '../../src/diagnose/assemble.js'
import type {ContainerState} from '../../src/diagnose/parse/docker.js'
import {parseRoutes} from '../../src/diagnose/parse/router.js'
import {entryPointsFor} from '../../src/net/entrypoints.js'
import type {CertInfo, HttpResult, TcpResult, TlsResult, UdpResult} from '../../src/renet/probe/types.js'

export const NOW = new Date('2026-11-28T09:00:00Z')
export const CLI_VERSION = '0.1.0'

export function http(id: string, status: number, body: unknown): HttpResult {
  return {id, kind: 'http', outcome: 'ok', status, body: typeof body === 'string' ? body : JSON.stringify(body), durationMs: 3}
}

export function httpDown(id: string, outcome: 'refused' | 'timeout' = 'refused'): HttpResult {
  return {id, kind: 'http', outcome, error: outcome === 'refused' ? 'ECONNREFUSED' : 'ETIMEDOUT', durationMs: 1}
}

export function local(overrides: Partial<LocalFacts> = {}): LocalFacts {
  return {
    machine: 'server-1',
    hasHostKey: true,
    infra: {
      publicIPv4: '203.0.113.50',
      publicIPv6: '2001:db8::1',
      baseDomain: 'example.com',
      certEmail: 'admin@example.com',
      hasCfDnsToken: true,
      tcpPorts: [25],
      udpPorts: [3478],
    },
    repositories: [{name: 'my-app', networkId: 2816}],
    ...overrides,
  }
}

export const sshOk: SshFacts = {target: 'deploy@203.0.113.50:22', outcome: 'ok', durationMs: 120}

/** /routes.json as the route server serves it (RoutesReport in src/renet/router/types.ts). */
export const routesBody = {
  routes: [
    {
      protocol: 'http',
      router: 'my-app-webapp',
      labelName: 'webapp',
      rule: 'Host(`app.example.com`)',
      entryPoints: ['websecure', 'websecure-v6'],
      service: 'my-app-webapp',
      backends: ['http://127.0.11.2:3000'],
      networkId: 2816,
      container: 'my-app-webapp-1',
      source: 'labels',
    },
    {
      protocol: 'tcp',
      router: 'my-app-mail-smtp',
      labelName: 'mail-smtp',
      rule: 'HostSNI(`*`)',
      entryPoints: ['tcp-25', 'tcp-25-v6'],
      service: 'my-app-mail-smtp',
      backends: ['127.0.11.3:25'],
      networkId: 2816,
      container: 'my-app-mail-1',
      source: 'labels',
    },
    {
      protocol: 'udp',
      router: 'my-app-turn',
      labelName: 'turn',
      rule: null,
      entryPoints: ['udp-3478', 'udp-3478-v6'],
      service: 'my-app-turn',
      backends: ['127.0.11.4:3478'],
      networkId: 2816,
      container: 'my-app-coturn-1',
      source: 'labels',
    },
  ],
}

/** /health as the route server serves it (HealthReport). */
export const healthBody = {
  status: 'ok',
  version: CLI_VERSION,
  machine: 'server-1',
  autoRoutes: true,
  baseDomain: 'example.com',
  counts: {daemons: 1, containers: 3, routers: {http: 1, tcp: 1, udp: 1}, services: {http: 1, tcp: 1, udp: 1}, middlewares: 0, refusals: 0, skipped: 0},
  daemons: [{networkId: 2816, socket: '/var/run/rediacc/docker-2816.sock', lastSync: '2026-11-28T08:59:58Z', error: null, stale: false, containers: 3}],
  refusals: [],
  skipped: [],
  lastChange: '2026-11-28T08:00:00Z',
}

function ssLine(proto: 'tcp' | 'udp', local: string, proc: string, pid: number): string {
  return `${proto}   ${proto === 'tcp' ? 'LISTEN' : 'UNCONN'} 0      4096    ${local}    ${proto === 'tcp' ? '0.0.0.0:*' : '0.0.0.0:*'}    users:(("${proc}",pid=${pid},fd=7))`
}

export function ssOutput(infra = local().infra, skip: string[] = []): string {
  const lines = entryPointsFor(infra)
    .filter((e) => !skip.includes(e.name))
    .map((e) => {
      const shown = e.address.replace(/\/udp$/, '')
      return ssLine(e.kind === 'udp' ? 'udp' : 'tcp', shown, 'traefik', 812)
    })
  lines.push(ssLine('tcp', '127.0.0.1:7111', 'node', 640), ssLine('tcp', '127.0.0.1:8082', 'traefik', 812), ssLine('tcp', '0.0.0.0:22', 'sshd', 300))
  return lines.join('\n') + '\n'
}

export function traefikEntryPoints(infra = local().infra): unknown[] {
  return [...entryPointsFor(infra).map((e) => ({name: e.name, address: e.address})), {name: 'traefik', address: '127.0.0.1:8082'}]
}

export const traefikRoutersBody = {
  http: [
    {name: 'my-app-webapp@http', provider: 'http', rule: 'Host(`app.example.com`)', entryPoints: ['websecure', 'websecure-v6'], status: 'enabled', service: 'my-app-webapp'},
    {name: 'web-to-websecure@internal', provider: 'internal', rule: 'HostRegexp(`^.+$`)', entryPoints: ['web', 'web-v6'], status: 'enabled'},
    {name: 'api@internal', provider: 'internal', rule: 'PathPrefix(`/api`)', entryPoints: ['traefik'], status: 'enabled'},
  ],
  tcp: [{name: 'my-app-mail-smtp@http', provider: 'http', rule: 'HostSNI(`*`)', entryPoints: ['tcp-25', 'tcp-25-v6'], status: 'enabled'}],
  udp: [{name: 'my-app-turn@http', provider: 'http', entryPoints: ['udp-3478', 'udp-3478-v6'], status: 'enabled'}],
}

export function server(overrides: Partial<ServerFacts> = {}): ServerFacts {
  return {
    cliVersion: CLI_VERSION,
    renetVersion: {code: 0, stdout: `${CLI_VERSION}\n`, stderr: ''},
    routerUnit: {code: 0, stdout: 'active\n', stderr: ''},
    sockets: {code: 0, stdout: ssOutput(), stderr: ''},
    health: http('health', 200, healthBody),
    routes: http('routes', 200, routesBody),
    proxy: http('proxy', 200, {
      State: {Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: '2026-11-28T08:00:00Z'},
      Config: {Image: 'traefik:v3.7'},
    }),
    traefikPing: http('ping', 200, 'OK'),
    traefikEntryPoints: http('entrypoints', 200, traefikEntryPoints()),
    traefikRouters: {
      http: http('routers-http', 200, traefikRoutersBody.http),
      tcp: http('routers-tcp', 200, traefikRoutersBody.tcp),
      udp: http('routers-udp', 200, traefikRoutersBody.udp),
    },
    daemons: [{socket: '/var/run/rediacc/docker-2816.sock', version: http('docker-2816', 200, {Version: '20.10.24', ApiVersion: '1.41'})}],
    ...overrides,
  }
}

export function tcp(id: string, outcome: TcpResult['outcome'] = 'ok'): TcpResult {
  return {id, kind: 'tcp', outcome, durationMs: 1, ...(outcome === 'refused' ? {error: 'ECONNREFUSED'} : outcome === 'timeout' ? {error: 'ETIMEDOUT'} : {})}
}

export function udp(id: string, outcome: UdpResult['outcome'] = 'ok'): UdpResult {
  return {id, kind: 'udp', outcome, durationMs: 1, ...(outcome === 'ok' ? {replyHex: '0101'} : {})}
}

export function cert(overrides: Partial<CertInfo> = {}): CertInfo {
  return {
    subjectCN: 'app.example.com',
    issuerCN: 'R11',
    issuerO: "Let's Encrypt",
    notBefore: '2026-11-01T00:00:00.000Z',
    notAfter: '2027-01-30T00:00:00.000Z',
    sans: ['app.example.com'],
    selfSigned: false,
    traefikDefault: false,
    matchesName: true,
    fingerprint256: 'AA:BB',
    ...overrides,
  }
}

export function tls(address: string, c: CertInfo | undefined = cert()): TlsResult {
  return c === undefined
    ? {id: `tls:app.example.com@${address}`, kind: 'tls', outcome: 'refused', error: 'ECONNREFUSED', durationMs: 1}
    : {id: `tls:app.example.com@${address}`, kind: 'tls', outcome: 'ok', cert: c, durationMs: 4}
}

export function container(service: string, ip: string): ContainerState {
  return {
    exists: true,
    running: true,
    status: 'running',
    startedAt: '2026-11-28T08:00:00Z',
    labels: {'rediacc.service_name': service, 'rediacc.service_ip': ip, 'rediacc.network_id': '2816'},
  }
}

export function routeFacts(): RouteFacts[] {
  const [web, smtp, turn] = parseRoutes(JSON.stringify(routesBody))
  return [
    {
      route: web!,
      backends: [{backend: 'http://127.0.11.2:3000', result: tcp('backend:127.0.11.2:3000')}],
      dns: [{name: 'app.example.com', resolver: 'system', a: {addresses: ['203.0.113.50']}, aaaa: {addresses: ['2001:db8::1']}}],
      tls: [tls('203.0.113.50'), tls('2001:db8::1')],
      container: container('webapp', '127.0.11.2'),
    },
    {route: smtp!, backends: [{backend: '127.0.11.3:25', result: tcp('backend:127.0.11.3:25')}], dns: [], tls: [], container: container('mail', '127.0.11.3')},
    {
      route: turn!,
      backends: [{backend: '127.0.11.4:3478', result: udp('backend:127.0.11.4:3478')}],
      dns: [],
      tls: [],
      container: {...container('coturn', '127.0.11.4'), env: ['EXTERNAL_IP=203.0.113.50', 'REALM=example.com'], cmd: ['turnserver']},
    },
  ]
}

export function healthy(): MachineFacts {
  return {local: local(), ssh: sshOk, server: server(), routes: routeFacts()}
}
