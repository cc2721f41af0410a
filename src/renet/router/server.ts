/**
 * The route server's HTTP endpoints, on the loopback listen address only: /traefik, /health, /routes.json,
 * /ports. GET and HEAD only; anything else is 404 (unknown path) or 405 (other method).
 */
import {IncomingMessage, Server, ServerResponse, createServer} from 'node:http'
import {gzipSync} from 'node:zlib'

import type {RouterService} from './service.js'

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

function json(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  send(req, res, status, 'application/json', `${JSON.stringify(value, null, 2)}\n`)
}

/** The /traefik body as bytes, plain and gzipped, made once per configuration change rather than per poll. */
let cachedBody: {text: string; plain: Buffer; gzip: Buffer} | null = null

function traefikBytes(text: string): {plain: Buffer; gzip: Buffer} {
  if (cachedBody?.text !== text) {
    const plain = Buffer.from(text)
    cachedBody = {text, plain, gzip: gzipSync(plain)}
  }

  return cachedBody
}

function sendTraefik(req: IncomingMessage, res: ServerResponse, text: string): void {
  const bytes = traefikBytes(text)
  // Traefik's Go client asks for gzip by itself; a 1,000-container body shrinks about tenfold.
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  const body = gzip ? bytes.gzip : bytes.plain
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.length,
    'cache-control': 'no-store',
    vary: 'accept-encoding',
    ...(gzip ? {'content-encoding': 'gzip'} : {}),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

export function handle(service: RouterService, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]
  const known = path === '/traefik' || path === '/health' || path === '/routes.json' || path === '/ports'
  if (!known) {
    json(req, res, 404, {error: `unknown path ${path}`, paths: ['/traefik', '/health', '/routes.json', '/ports']})
    return
  }

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    json(req, res, 405, {error: `method ${req.method} not allowed`})
    return
  }

  switch (path) {
    case '/traefik': {
      const body = service.traefikBody()
      // Any non-200 makes Traefik keep its last configuration: the right answer until discovery completes.
      if (body === null) send(req, res, 503, 'text/plain', 'route server is starting: discovery not complete\n')
      else sendTraefik(req, res, body)
      return
    }

    case '/health': {
      const report = service.health()
      json(req, res, report.status === 'starting' ? 503 : 200, report)
      return
    }

    case '/routes.json': {
      json(req, res, 200, service.routes())
      return
    }

    default: {
      json(req, res, 200, service.portsReport())
    }
  }
}

export function listen(service: RouterService, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    try {
      handle(service, req, res)
    } catch (error) {
      json(req, res, 500, {error: (error as Error).message})
    }
  })
  server.keepAliveTimeout = 10_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
