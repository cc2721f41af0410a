/**
 * A stand-in server on loopback for diagnose's gather tests and benchmark: a route server (/health,
 * /routes.json), Traefik's internal entry point (/ping, /api/…), the Docker APIs of the proxy and of one
 * repository daemon on unix sockets, a TLS listener that serves a certificate per SNI name (Traefik's default
 * for unknown names), an app backend, and a real dnsmasq. Everything listens on 127.0.0.1 / in a temp folder.
 */
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createNetServer, type AddressInfo, type Server as NetServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createSecureContext, createServer as createTlsServer, type Server as TlsServer} from 'node:tls'

import {build} from 'esbuild'

import type {LocalFacts} from '../../src/diagnose/facts.js'
import {DEFAULT_ENDPOINTS, type ServerEndpoints} from '../../src/diagnose/gather/endpoints.js'
import {selfSignedCert} from './certs.js'
import {healthBody, traefikEntryPoints} from './diagnose-fixtures.js'
import {startDnsmasq, type Dnsmasq} from './dnsmasq.js'

export const LO = '127.0.0.1'

export interface LabRoute {
  protocol: 'http' | 'tcp' | 'udp'
  router: string
  rule: string | null
  entryPoints: string[]
  /** 'app' = the lab's listening app, 'closed' = a port nothing listens on, else an address. */
  backend: 'app' | 'closed' | string
  container: string
  service: string
  env?: string[]
}

export interface LabOptions {
  version: string
  routes: LabRoute[]
  /** Names the TLS listener has a certificate for; others get Traefik's default. */
  certNames: string[]
  /** dnsmasq arguments (records). */
  dns: string[]
  infra: LocalFacts['infra']
}

export interface Lab {
  endpoints: ServerEndpoints
  local: LocalFacts
  bundle: Buffer
  dns: Dnsmasq
  stop(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/json'})
  res.end(JSON.stringify(body))
}

function listen(server: Server | TlsServer | NetServer, where: number | string = 0): Promise<number> {
  return new Promise((resolve) =>
    typeof where === 'string' ? server.listen(where, () => resolve(0)) : server.listen(where, LO, () => resolve((server.address() as AddressInfo).port)),
  )
}

export async function startLab(o: LabOptions): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-lab-'))
  const servers: Array<Server | TlsServer> = []
  let dns: Dnsmasq | undefined
  const stop = async (): Promise<void> => {
    await dns?.stop()
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    const outfile = join(dir, 'renet.cjs')
    await build({entryPoints: ['src/renet/main.ts'], outfile, bundle: true, platform: 'node', target: 'node18', format: 'cjs', define: {__RENET_VERSION__: JSON.stringify(o.version)}, logLevel: 'silent'})
    const bundle = readFileSync(outfile)

    const app = createServer((_req, res) => res.end('hello'))
    servers.push(app)
    const appPort = await listen(app)
    const gone = createNetServer()
    const closedPort = await listen(gone)
    await new Promise((r) => gone.close(r))

    const routes = o.routes.map((r) => ({
      protocol: r.protocol,
      router: r.router,
      labelName: r.router,
      rule: r.rule,
      entryPoints: r.entryPoints,
      service: r.router,
      backends: [r.backend === 'app' ? `${r.protocol === 'http' ? 'http://' : ''}${LO}:${appPort}` : r.backend === 'closed' ? `${r.protocol === 'http' ? 'http://' : ''}${LO}:${closedPort}` : r.backend],
      networkId: 2816,
      container: r.container,
      source: 'labels',
    }))
    const byContainer = new Map(o.routes.map((r) => [r.container, r]))
    const router = createServer(((req, res) => {
      if (req.url === '/health') json(res, 200, {...healthBody, version: o.version, baseDomain: o.infra.baseDomain ?? null, daemons: [{networkId: 2816, socket: '/var/run/rediacc/docker-2816.sock', lastSync: null, error: null, stale: false, containers: routes.length}]})
      else if (req.url === '/routes.json') json(res, 200, {routes})
      else json(res, 404, {})
    }) as Handler)
    const traefikRouters: Record<string, unknown[]> = {http: [], tcp: [], udp: []}
    for (const r of routes) traefikRouters[r.protocol]!.push({name: `${r.router}@http`, provider: 'http', ...(r.rule ? {rule: r.rule} : {}), entryPoints: r.entryPoints, status: 'enabled'})
    const traefik = createServer(((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const m = /^\/api\/(http|tcp|udp)\/routers$/.exec(url.pathname)
      if (url.pathname === '/ping') res.end('OK')
      else if (url.pathname === '/api/entrypoints') json(res, 200, traefikEntryPoints({...o.infra}))
      else if (m) json(res, 200, traefikRouters[m[1]!])
      else json(res, 404, {})
    }) as Handler)
    const docker = createServer(((req, res) => {
      if (req.url === '/containers/rediacc-proxy/json') json(res, 200, {State: {Status: 'running', Running: true}, Config: {Image: 'traefik:v3.7'}})
      else json(res, 404, {message: 'no such container'})
    }) as Handler)
    const daemon = createServer(((req, res) => {
      const m = /^\/containers\/([^/]+)\/json$/.exec(req.url ?? '')
      const r = m ? byContainer.get(decodeURIComponent(m[1]!)) : undefined
      if (req.url === '/version') json(res, 200, {Version: '24.0.7', ApiVersion: '1.43'})
      else if (r) json(res, 200, {State: {Status: 'running', Running: true, StartedAt: '2026-11-01T00:00:00Z'}, Config: {Env: r.env ?? [], Cmd: ['run'], Labels: {'rediacc.service_name': r.service}}})
      else json(res, 404, {})
    }) as Handler)
    const cert = o.certNames.length > 0 ? selfSignedCert({cn: o.certNames[0]!, sans: o.certNames}) : undefined
    const fallback = selfSignedCert({cn: 'TRAEFIK DEFAULT CERT'})
    const names = new Set(o.certNames)
    const tls = createTlsServer({...fallback, SNICallback: (name, cb) => cb(null, createSecureContext(cert && names.has(name) ? cert : fallback))}, (s) => s.end())
    servers.push(router, traefik, docker, daemon, tls)
    const routerPort = await listen(router)
    const traefikPort = await listen(traefik)
    const httpsPort = await listen(tls)
    mkdirSync(join(dir, 'rediacc'))
    await listen(docker, join(dir, 'docker.sock'))
    await listen(daemon, join(dir, 'rediacc', 'docker-2816.sock'))
    dns = await startDnsmasq(o.dns)
    return {
      endpoints: {
        ...DEFAULT_ENDPOINTS,
        router: `http://${LO}:${routerPort}`,
        traefik: `http://${LO}:${traefikPort}`,
        dockerSocket: join(dir, 'docker.sock'),
        daemonSocketDir: join(dir, 'rediacc'),
        httpsPort,
      },
      local: {machine: 'lab', hasHostKey: true, infra: o.infra, repositories: [{name: 'shop', networkId: 2816}]},
      bundle,
      dns,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
