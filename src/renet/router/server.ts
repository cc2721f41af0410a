/**
 * The route server's HTTP endpoints, on the loopback listen address only: /traefik, /health, /routes.json,
 * /ports. GET and HEAD only; anything else is 404 (unknown path) or 405 (other method).
 */
import {IncomingMessage, Server, ServerResponse, createServer} from 'node:http'

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
      else send(req, res, 200, 'application/yaml', body)
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
