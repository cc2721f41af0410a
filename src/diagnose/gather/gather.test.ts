import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createNetServer, type AddressInfo, type Server as NetServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createSecureContext, createServer as createTlsServer, type Server as TlsServer} from 'node:tls'

import {build} from 'esbuild'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {selfSignedCert} from '../../../test/support/certs.js'
import {healthBody, traefikEntryPoints} from '../../../test/support/diagnose-fixtures.js'
import {startDnsmasq, type Dnsmasq} from '../../../test/support/dnsmasq.js'
import {localTransport} from '../../../test/support/local-transport.js'
import type {LocalFacts} from '../facts.js'
import type {Finding} from '../finding.js'
import {formatReport} from '../format.js'
import {diagnose} from '../run.js'
import {DEFAULT_ENDPOINTS, type ServerEndpoints} from './endpoints.js'
import {gatherServer} from './server.js'

const LO = '127.0.0.1'
const VERSION = '9.9.9-test'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, {'content-type': 'application/json'})
  res.end(JSON.stringify(body))
}

function listen(server: Server | TlsServer | NetServer, where: number | string = 0): Promise<number> {
  return new Promise((resolve) =>
    typeof where === 'string' ? server.listen(where, () => resolve(0)) : server.listen(where, LO, () => resolve((server.address() as AddressInfo).port)),
  )
}

describe('gathering from a machine over a real (local) transport, then the checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-gather-'))
  const servers: Array<Server | TlsServer> = []
  let endpoints: ServerEndpoints
  let dns: Dnsmasq
  let bundle: Buffer
  let local: LocalFacts

  beforeAll(async () => {
    const outfile = join(dir, 'renet.cjs')
    await build({entryPoints: ['src/renet/main.ts'], outfile, bundle: true, platform: 'node', target: 'node18', format: 'cjs', define: {__RENET_VERSION__: JSON.stringify(VERSION)}, logLevel: 'silent'})
    bundle = (await import('node:fs')).readFileSync(outfile)

    const app = createServer((_req, res) => res.end('hello'))
    const appPort = await listen(app)
    const gone = createNetServer()
    const closedPort = await listen(gone)
    await new Promise((r) => gone.close(r))

    const infra = {publicIPv4: LO, baseDomain: 'good.test', certEmail: 'a@good.test', hasCfDnsToken: true, tcpPorts: [25], udpPorts: [3478]}
    local = {machine: 'lab', hasHostKey: true, infra, repositories: [{name: 'shop', networkId: 2816}]}
    const route = (protocol: string, router: string, rule: string | null, entryPoints: string[], backend: string, container: string) => ({
      protocol,
      router,
      labelName: router.replace(/^shop-/, ''),
      rule,
      entryPoints,
      service: router,
      backends: [backend],
      networkId: 2816,
      container,
      source: 'labels',
    })
    const routes = {
      routes: [
        route('http', 'shop-web', 'Host(`app.good.test`)', ['websecure'], `http://${LO}:${appPort}`, 'shop-web-1'),
        route('http', 'shop-api', 'Host(`api.good.test`)', ['websecure'], `http://${LO}:${closedPort}`, 'shop-api-1'),
        route('tcp', 'shop-smtp', 'HostSNI(`*`)', ['tcp-2525'], `${LO}:${appPort}`, 'shop-mail-1'),
        route('udp', 'shop-turn', null, ['udp-3478'], `${LO}:9`, 'shop-coturn-1'),
      ],
    }
    const router = createServer(((req, res) => {
      if (req.url === '/health') json(res, 200, {...healthBody, version: VERSION, daemons: [{networkId: 2816, socket: '/var/run/rediacc/docker-2816.sock', lastSync: null, error: null, stale: false, containers: 4}]})
      else if (req.url === '/routes.json') json(res, 200, routes)
      else json(res, 404, {})
    }) as Handler)
    const traefikRouters: Record<string, unknown[]> = {http: [], tcp: [], udp: []}
    for (const r of routes.routes) traefikRouters[r.protocol]!.push({name: `${r.router}@http`, provider: 'http', ...(r.rule ? {rule: r.rule} : {}), entryPoints: r.entryPoints, status: 'enabled'})
    const traefik = createServer(((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/ping') res.end('OK')
      else if (url.pathname === '/api/entrypoints') json(res, 200, traefikEntryPoints({...infra}))
      else {
        const m = /^\/api\/(http|tcp|udp)\/routers$/.exec(url.pathname)
        if (m) json(res, 200, traefikRouters[m[1]!])
        else json(res, 404, {})
      }
    }) as Handler)
    const docker = createServer(((req, res) => {
      if (req.url === '/containers/rediacc-proxy/json') json(res, 200, {State: {Status: 'running', Running: true}, Config: {Image: 'traefik:v3.7'}})
      else json(res, 404, {message: 'no such container'})
    }) as Handler)
    const daemon = createServer(((req, res) => {
      if (req.url === '/version') json(res, 200, {Version: '24.0.7', ApiVersion: '1.43'})
      else if (req.url === '/containers/shop-coturn-1/json') json(res, 200, {State: {Status: 'running', Running: true, StartedAt: '2026-11-01T00:00:00Z'}, Config: {Env: ['EXTERNAL_IP=198.51.100.9'], Cmd: ['turnserver'], Labels: {'rediacc.service_name': 'coturn'}}})
      else {
        const m = /^\/containers\/shop-(\w+)-1\/json$/.exec(req.url ?? '')
        if (m) json(res, 200, {State: {Status: 'running', Running: true}, Config: {Labels: {'rediacc.service_name': m[1]}}})
        else json(res, 404, {})
      }
    }) as Handler)
    const cert = selfSignedCert({cn: 'app.good.test', sans: ['app.good.test']})
    const fallback = selfSignedCert({cn: 'TRAEFIK DEFAULT CERT'})
    const tls = createTlsServer({...fallback, SNICallback: (name, cb) => cb(null, createSecureContext(name === 'app.good.test' ? cert : fallback))}, (s) => s.end())
    servers.push(app, router, traefik, docker, daemon, tls)
    const routerPort = await listen(router)
    const traefikPort = await listen(traefik)
    const httpsPort = await listen(tls)
    mkdirSync(join(dir, 'rediacc'))
    await listen(docker, join(dir, 'docker.sock'))
    await listen(daemon, join(dir, 'rediacc', 'docker-2816.sock'))
    endpoints = {
      ...DEFAULT_ENDPOINTS,
      router: `http://${LO}:${routerPort}`,
      traefik: `http://${LO}:${traefikPort}`,
      dockerSocket: join(dir, 'docker.sock'),
      daemonSocketDir: join(dir, 'rediacc'),
      httpsPort,
    }
    dns = await startDnsmasq(['--local=/good.test/', `--host-record=app.good.test,${LO}`, `--host-record=api.good.test,${LO}`])
  })

  afterAll(async () => {
    await dns?.stop()
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    rmSync(dir, {recursive: true, force: true})
  })

  const find = (findings: Finding[], hop: string, subject: string): Finding | undefined => findings.find((f) => f.hop === hop && f.subject === subject)

  it('reads every fact in a script round trip plus probe round trips, falling back to the CLI bundle', async () => {
    const transport = localTransport()
    const g = await gatherServer({transport, local, cliVersion: VERSION, loadBundle: async () => bundle, resolver: dns.address, endpoints})
    // renet is not installed here, so the probes ran from the bundle through `node -`.
    expect(g.probeVia).toBe('bundle')
    expect(g.roundTrips).toBe(3)
    expect(transport.calls.map((c) => c.slice(0, 2))).toEqual([
      ['bash', '-s'],
      ['sh', '-c'],
      ['sh', '-c'],
    ])
    expect(g.server.renetVersion.code).toBe(127)
    expect(g.server.health).toMatchObject({outcome: 'ok', status: 200})
    expect(g.server.proxy).toMatchObject({outcome: 'ok', status: 200})
    expect(g.server.daemons).toMatchObject([{socket: join(dir, 'rediacc', 'docker-2816.sock'), version: {outcome: 'ok', status: 200}}])
    expect(g.server.sockets.code).toBe(0)
    expect(g.routes.map((r) => [r.route.name, r.backends.map((b) => b.result.outcome), r.tls.map((t) => t.cert?.subjectCN), r.dns.map((d) => d.name)])).toEqual([
      ['shop-web', ['ok'], ['app.good.test'], ['app.good.test']],
      ['shop-api', ['refused'], ['TRAEFIK DEFAULT CERT'], ['api.good.test']],
      ['shop-smtp', ['ok'], [], []],
      ['shop-turn', [], [], []],
    ])
    expect(g.routes[3]!.container).toMatchObject({env: ['EXTERNAL_IP=198.51.100.9']})
    expect(g.wildcards.map((w) => w.name)).toEqual([expect.stringMatching(/^rdc-probe-[0-9a-f]{8}\.good\.test$/)])
  })

  it('the whole walk names each broken hop with its fix, and --json-able report says not ok', async () => {
    const report = await diagnose({
      targets: [{local, connect: async () => ({ssh: {target: 'root@lab:22', outcome: 'ok', durationMs: 5}, transport: localTransport()})}],
      cliVersion: VERSION,
      loadBundle: async () => bundle,
      resolver: dns.address,
      endpoints,
    })
    expect(report.ok).toBe(false)
    const findings = report.machines[0]!.findings
    expect(find(findings, 'versions', 'renet')).toMatchObject({status: 'fail', detail: 'renet is not installed', fix: 'rdc context push-infra lab'})
    expect(find(findings, 'versions', 'docker-2816')).toMatchObject({status: 'ok', detail: 'Docker 24.0.7 (API 1.43)'})
    expect(find(findings, 'proxy', 'rediacc-proxy')).toMatchObject({status: 'ok', detail: 'rediacc-proxy is running (traefik:v3.7), ping answers'})
    expect(find(findings, 'proxy', 'traefik-api')).toMatchObject({status: 'ok'})
    expect(find(findings, 'backend', 'app.good.test')).toMatchObject({status: 'ok'})
    expect(find(findings, 'dns', 'app.good.test')).toMatchObject({status: 'ok', detail: `resolves to ${LO} via ${dns.address}`})
    expect(find(findings, 'tls', `app.good.test @ ${LO}`)).toMatchObject({status: 'warn', detail: expect.stringContaining('is self-signed')})
    expect(find(findings, 'backend', 'api.good.test')).toMatchObject({status: 'fail', detail: expect.stringMatching(/^502 Bad Gateway: nothing listens on 127\.0\.0\.1:\d+ \(connection refused\)$/)})
    expect(find(findings, 'backend', 'api.good.test')!.fix).toContain('${API_IP}')
    expect(find(findings, 'tls', `api.good.test @ ${LO}`)).toBeUndefined()
    expect(find(findings, 'port', 'tcp router shop-smtp')).toMatchObject({status: 'fail', fix: 'rdc context set-infra lab --tcp-ports 25,2525 && rdc context push-infra lab'})
    expect(find(findings, 'relay', 'shop-coturn-1')).toMatchObject({status: 'fail', detail: expect.stringContaining('advertises 198.51.100.9')})
    const text = formatReport(report)
    if (process.env.DIAG_PRINT) process.stdout.write(`${text}\n`)
    expect(text).toContain('lab (')
    expect(text).toMatch(/ {2}FAIL {2}backend {4}api\.good\.test: 502 Bad Gateway: nothing listens on 127\.0\.0\.1:\d+ \(connection refused\) {2}→ make the app listen on \$\{API_IP\}/)
  })

  it('--host narrows the walk to the routes serving that name', async () => {
    const g = await gatherServer({transport: localTransport(), local: {...local, askedHost: 'app.good.test'}, cliVersion: VERSION, loadBundle: async () => bundle, resolver: dns.address, endpoints})
    expect(g.routes.map((r) => r.route.name)).toEqual(['shop-web'])
  })

  it('a failed connection stops the machine at SSH and runs nothing', async () => {
    const transport = localTransport()
    const report = await diagnose({
      targets: [{local, connect: async () => ({ssh: {target: 'root@lab:22', outcome: 'host-key-mismatch', durationMs: 5, pinned: 'SHA256:a', presented: 'SHA256:b'}})}],
      cliVersion: VERSION,
      loadBundle: async () => bundle,
    })
    expect(transport.calls).toEqual([])
    expect(report.machines[0]!.findings.map((f) => [f.hop, f.status])).toEqual([
      ['local', 'ok'],
      ['ssh', 'fail'],
    ])
  })
})
