/**
 * What the `rdc dns` tests share: a route server stand-in on this machine's 127.0.0.1:7111 (where the machine's
 * `curl` reads /routes.json when rdc reaches "the machine" through the local sshd), routes as the route server
 * serves them, a fake transport for service tests, and a context file writer.
 */
import {writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'

import {stringify} from 'yaml'

import {ROUTER_PORT} from '../../src/net/entrypoints.js'
import type {ExecOptions, ExecResult, Transport} from '../../src/remote/transport.js'

export interface RouteSpec {
  router: string
  rule: string
  protocol?: 'http' | 'tcp' | 'udp'
  container?: string
}

/** /routes.json as the route server serves it (src/renet/router/types.ts RoutesReport). */
export function routesJson(routes: RouteSpec[]): string {
  return JSON.stringify({
    routes: routes.map((r, i) => ({
      protocol: r.protocol ?? 'http',
      router: r.router,
      labelName: r.router,
      rule: r.rule,
      entryPoints: r.protocol === 'tcp' ? ['tcp-993'] : ['websecure', 'websecure-v6'],
      service: r.router,
      backends: [`http://127.0.11.${i + 2}:8080`],
      networkId: 2816,
      container: r.container ?? `${r.router}-1`,
      source: 'labels',
    })),
  })
}

export interface RouteServer {
  set(routes: RouteSpec[]): void
  /** Answer /routes.json with this status (503 = still starting). */
  status(code: number): void
  requests(): number
  stop(): Promise<void>
}

/** The route server's HTTP endpoints on 127.0.0.1:7111 (a port nothing else on this machine uses). */
export async function startRouteServer(initial: RouteSpec[] = []): Promise<RouteServer> {
  let body = routesJson(initial)
  let code = 200
  let count = 0
  const server: Server = createServer((req, res) => {
    count++
    if (req.url === '/routes.json') {
      res.writeHead(code, {'content-type': 'application/json'})
      res.end(code === 200 ? body : '{"status":"starting"}')
      return
    }
    if (req.url === '/health') {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(JSON.stringify({status: 'ok', version: '0.1.0', machine: null, autoRoutes: true, baseDomain: null, daemons: [], refusals: [], skipped: []}))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`127.0.0.1:${ROUTER_PORT} is taken on this machine: the dns tests need it for their route server stand-in`) : e),
    )
    server.listen({host: '127.0.0.1', port: ROUTER_PORT, exclusive: true}, () => resolve())
  })
  return {
    set: (routes) => {
      body = routesJson(routes)
    },
    status: (c) => {
      code = c
    },
    requests: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A Transport that answers `curl …/routes.json` with the routes of its machine; nothing else. */
export function routesTransport(routes: () => RouteSpec[]): Transport & {execs: string[][]} {
  const execs: string[][] = []
  return {
    execs,
    async exec(argv: string[], _opts?: ExecOptions): Promise<ExecResult> {
      execs.push(argv)
      if (argv[0] === 'curl' && argv.at(-1)?.endsWith('/routes.json')) return {code: 0, stdout: routesJson(routes()), stderr: ''}
      return {code: 127, stdout: '', stderr: `${argv[0]}: not here`}
    },
    async put() {
      throw new Error('not here')
    },
    async get() {
      return null
    },
    async close() {},
  }
}

export interface MachineSpec {
  host?: string
  port?: number
  user?: string
  privateKeyPath?: string
  hostKey?: string
  infra: Record<string, unknown>
}

/** Writes a context file `lab` with these machines. */
export function writeContext(path: string, machines: Record<string, MachineSpec>): void {
  const out: Record<string, unknown> = {}
  for (const [name, m] of Object.entries(machines)) {
    out[name] = {
      host: m.host ?? '127.0.0.1',
      user: m.user ?? 'root',
      port: m.port ?? 22,
      ...(m.privateKeyPath ? {privateKeyPath: m.privateKeyPath} : {}),
      ...(m.hostKey ? {hostKey: m.hostKey} : {}),
      infra: m.infra,
    }
  }
  writeFileSync(path, stringify({version: 1, current: 'lab', contexts: {lab: {machines: out, repositories: {}}}}), {mode: 0o600})
}
