/**
 * A Traefik stand-in for diagnose's integration tests (no Traefik image can be had on these machines). It reads
 * the traefik.yml push-infra renders and behaves like Traefik where diagnose looks: every entry point listens
 * (TCP, TLS with Traefik's default certificate, UDP), the internal entry point answers /ping and the API
 * (/api/entrypoints, /api/{http,tcp,udp}/routers), and it polls the HTTP provider like Traefik (a non-200 keeps
 * the last configuration). It routes nothing. Bundled with esbuild into one file that runs on Node 18.
 *
 * HTTPS serves, per SNI name, a certificate from the resolver's ACME storage when it holds one for that name
 * (Traefik's acme.json format, re-read when it changes: a test "issues" a certificate by writing it there), else
 * Traefik's default certificate.
 *
 *   node standin.cjs --configFile=/etc/traefik/traefik.yml [--certDir=/letsencrypt/standin] [--pollMs=5000]
 */
import {createSocket} from 'node:dgram'
import {readFileSync, statSync} from 'node:fs'
import {createServer as createHttpServer, get} from 'node:http'
import {createServer as createNetServer} from 'node:net'
import {join} from 'node:path'
import {createSecureContext, createServer as createTlsServer, type SecureContext} from 'node:tls'

import {parse} from 'yaml'

type Obj = Record<string, unknown>
interface Router {
  name: string
  provider: string
  rule?: string
  entryPoints: string[]
  service?: string
  status: 'enabled'
}

function arg(name: string): string | undefined {
  const prefix = `--${name}=`
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length)
}

function splitAddress(address: string): {host: string | undefined; port: number; udp: boolean} {
  const udp = address.endsWith('/udp')
  const a = address.replace(/\/(udp|tcp)$/, '')
  const i = a.lastIndexOf(':')
  const host = a.slice(0, i).replace(/^\[|\]$/g, '')
  return {host: host === '' ? undefined : host, port: Number(a.slice(i + 1)), udp}
}

const config = parse(readFileSync(arg('configFile') ?? '/etc/traefik/traefik.yml', 'utf8')) as Obj
const entryPoints = (config.entryPoints ?? {}) as Record<string, Obj>
const internal = ((config.ping as Obj | undefined)?.entryPoint as string | undefined) ?? 'traefik'
const certDir = arg('certDir') ?? '/letsencrypt/standin'
const endpoint = ((config.providers as Obj | undefined)?.http as Obj | undefined)?.endpoint as string | undefined
const pollMs = Number(arg('pollMs') ?? 5000)
let routers: Record<'http' | 'tcp' | 'udp', Router[]> = {http: [], tcp: [], udp: []}

function log(msg: string, extra: Obj = {}): void {
  process.stdout.write(`${JSON.stringify({level: 'info', msg, ...extra})}\n`)
}

function loadRouters(body: string): void {
  const doc = (parse(body) ?? {}) as Obj
  const next: typeof routers = {http: [], tcp: [], udp: []}
  for (const p of ['http', 'tcp', 'udp'] as const) {
    const section = (doc[p] as Obj | undefined)?.routers as Record<string, Obj> | undefined
    for (const [name, r] of Object.entries(section ?? {})) {
      next[p].push({
        name: `${name}@http`,
        provider: 'http',
        ...(typeof r.rule === 'string' ? {rule: r.rule} : {}),
        entryPoints: Array.isArray(r.entryPoints) ? (r.entryPoints as string[]) : Object.keys(entryPoints).filter((e) => e !== internal),
        ...(typeof r.service === 'string' ? {service: `${r.service}@http`} : {}),
        status: 'enabled',
      })
    }
  }
  routers = next
}

function poll(): void {
  if (!endpoint) return
  const req = get(endpoint, {timeout: 5000}, (res) => {
    let body = ''
    res.on('data', (c: Buffer) => (body += c.toString()))
    res.on('end', () => {
      // Like Traefik: only a 200 replaces the configuration.
      if (res.statusCode === 200) {
        try {
          loadRouters(body)
        } catch (error) {
          log('cannot read provider configuration', {error: (error as Error).message})
        }
      }
    })
  })
  req.on('error', () => {})
  req.on('timeout', () => req.destroy())
}

/** Where the certificate resolvers keep their certificates (acme.storage), as Traefik's static config names them. */
const acmeStorages = Object.values((config.certificatesResolvers ?? {}) as Record<string, Obj>)
  .map((r) => (r.acme as Obj | undefined)?.storage)
  .filter((p): p is string => typeof p === 'string')
let issued: {mtimes: string; byName: Map<string, SecureContext>} = {mtimes: '', byName: new Map()}

/** Certificates from acme.json ({resolver: {Certificates: [{domain: {main, sans}, certificate, key}]}}, base64 PEM). */
function loadIssued(): Map<string, SecureContext> {
  const mtimes = acmeStorages.map((p) => {
    try {
      const st = statSync(p)
      return `${st.mtimeMs}/${st.size}`
    } catch {
      return '-'
    }
  }).join(',')
  if (mtimes === issued.mtimes) return issued.byName
  const byName = new Map<string, SecureContext>()
  for (const p of acmeStorages) {
    let doc: Record<string, Obj>
    try {
      const text = readFileSync(p, 'utf8')
      doc = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, Obj>)
    } catch (error) {
      log('cannot read ACME storage', {path: p, error: (error as Error).message})
      continue
    }
    for (const resolver of Object.values(doc)) {
      for (const c of ((resolver?.Certificates ?? []) as Obj[])) {
        const domain = (c.domain ?? {}) as {main?: string; sans?: string[]}
        const ctx = createSecureContext({cert: Buffer.from(String(c.certificate), 'base64'), key: Buffer.from(String(c.key), 'base64')})
        for (const n of [domain.main, ...(domain.sans ?? [])]) if (n) byName.set(n.toLowerCase(), ctx)
      }
    }
  }
  issued = {mtimes, byName}
  return byName
}

function issuedFor(servername: string): SecureContext | undefined {
  const byName = loadIssued()
  const n = servername.toLowerCase()
  return byName.get(n) ?? byName.get(`*.${n.slice(n.indexOf('.') + 1)}`)
}

function api(path: string): unknown {
  if (path === '/api/entrypoints') return Object.entries(entryPoints).map(([name, e]) => ({name, address: e.address}))
  const m = /^\/api\/(http|tcp|udp)\/routers$/.exec(path)
  if (!m) return undefined
  const p = m[1] as 'http' | 'tcp' | 'udp'
  const own = p === 'http' ? [{name: 'ping@internal', provider: 'internal', rule: 'PathPrefix(`/ping`)', entryPoints: [internal], service: 'ping@internal', status: 'enabled'}] : []
  return [...routers[p], ...own]
}

for (const [name, ep] of Object.entries(entryPoints)) {
  const {host, port, udp} = splitAddress(String(ep.address))
  const listening = (): void => log('entry point listening', {entryPoint: name, address: ep.address})
  if (udp) {
    const s = createSocket(host !== undefined && host.includes(':') ? 'udp6' : 'udp4')
    s.bind(port, host, listening)
  } else if (name === internal) {
    createHttpServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/ping') {
        res.end('OK')
        return
      }
      const body = api(path)
      res.writeHead(body === undefined ? 404 : 200, {'content-type': 'application/json'})
      res.end(JSON.stringify(body ?? {message: 'not found'}))
    }).listen(port, host, listening)
  } else if ((ep.http as Obj | undefined)?.tls !== undefined || name.startsWith('websecure')) {
    // What Traefik serves for a name it has no certificate for.
    const key = readFileSync(join(certDir, 'default.key'))
    const cert = readFileSync(join(certDir, 'default.crt'))
    const SNICallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => cb(null, issuedFor(servername))
    createTlsServer({key, cert, SNICallback}, (s) => s.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n')).listen(port, host, listening)
  } else {
    createNetServer((s) => s.end()).listen(port, host, listening)
  }
}

poll()
setInterval(poll, pollMs)
process.on('SIGTERM', () => process.exit(0))
