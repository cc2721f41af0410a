/**
 * A stand-in for the part of Cloudflare's v4 API that lego's `cloudflare` DNS provider calls (lego v5.5.2, the
 * version inside Traefik 3.7.15; providers/dns/cloudflare/internal/client.go):
 *
 *   GET    {base}/zones?name=<zone>&per_page=50          → the zone id (exactly one zone must match)
 *   POST   {base}/zones/{id}/dns_records                 {"type":"TXT","name":"_acme-challenge.app.example.com",
 *                                                         "content":"\"<value>\"","ttl":120}
 *   DELETE {base}/zones/{id}/dns_records/{record id}
 *
 * lego joins paths onto CLOUDFLARE_BASE_URL (url.JoinPath) and its default is https://api.cloudflare.com/client/v4,
 * so the base a client is given must include /client/v4: cloudflareBaseUrl() returns http://<addr>:<port>/client/v4.
 * Also served: GET /zones/{id}, GET /zones/{id}/dns_records (?type=&name=&content=&page=&per_page=) and
 * GET /user/tokens/verify, which tools use to check a token.
 *
 * Refusals copy what Cloudflare answers (as seen in public reports and client test fixtures):
 *   no Authorization header           400 {"code":9106,"message":"Missing X-Auth-Key, X-Auth-Email or Authorization headers"}
 *   Authorization not "Bearer <tok>"  400 {"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,…}]}
 *   a Bearer token that is not ours   403 {"code":9109,"message":"Invalid access token"}
 *   …on /user/tokens/verify           401 {"code":1000,"message":"Invalid API Token"}
 *   unknown zone id                   404 {"code":7003,"message":"Could not route to …, perhaps your object identifier is invalid?"}
 *   unknown record id                 404 {"code":81044,"message":"Record does not exist."}
 * An unknown zone NAME is not an error: the list is empty (lego then says "zone could not be found").
 *
 * Every TXT, A and AAAA record created or deleted is mirrored into challtestsrv before the API answers, so the
 * record lego creates is exactly what Pebble (and the DNS front) then read. Every call is logged without the token.
 */
import {createHash, randomBytes} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {isIPv4, isIPv6} from 'node:net'

import {listenOnAll} from './http-listeners.js'
import {canonicalName} from './dns-wire.js'
import {hostForUrl} from './pebble.js'

export const API_PREFIX = '/client/v4'
export const NAME_SERVERS = ['ns1.cf-standin.test', 'ns2.cf-standin.test']

export interface StandinRecord {
  id: string
  zoneId: string
  zoneName: string
  type: string
  /** Lower case, no trailing dot, always the full name (Cloudflare appends the zone to a relative name). */
  name: string
  /** As the client sent it: lego quotes TXT content ("\"value\""). */
  content: string
  ttl: number
  createdOn: string
}

export interface CloudflareCall {
  at: string
  method: string
  /** Path and query as received (no secret travels there). */
  path: string
  /** Whether the request carried the configured token as "Bearer <token>"; never the token itself. */
  tokenOk: boolean
  /** Why not: no Authorization header, not "Bearer <token>", or another token. */
  auth: 'matched' | 'wrong' | 'missing' | 'malformed'
  status: number
  action?: 'zones-listed' | 'zone-read' | 'records-listed' | 'record-created' | 'record-deleted' | 'token-verified'
  zone?: string
  /** The record a create or delete touched: its id, type, full name and content as the client sent it. */
  recordId?: string
  type?: string
  name?: string
  content?: string
  /** Cloudflare error codes answered, when the call failed. */
  errors?: number[]
}

/** Where records go so that DNS answers them; challtestsrv in the lab. */
export interface RecordSink {
  setTxt(host: string, values: string[]): Promise<void>
  setA(host: string, addresses: string[]): Promise<void>
  setAaaa(host: string, addresses: string[]): Promise<void>
}

export interface CloudflareStandin {
  port: number
  baseUrl(address: string): string
  zoneId(zone: string): string
  calls(): CloudflareCall[]
  records(): StandinRecord[]
  stop(): Promise<void>
}

interface CfError {
  code: number
  message: string
  error_chain?: Array<{code: number; message: string}>
}

/** Cloudflare ids are 32 hex digits; a zone's is derived from its name so it is the same in every run. */
export function zoneIdFor(zone: string): string {
  return createHash('md5').update(`cf-standin:${canonicalName(zone)}`).digest('hex')
}

/** TXT content in zone-file form ("a" "b", with \" escapes) → the character-strings joined, as DNS serves it. */
export function txtValue(content: string): string {
  const c = content.trim()
  if (!c.startsWith('"')) return content
  let out = ''
  let i = 0
  while (i < c.length) {
    if (c[i] === ' ' || c[i] === '\t') {
      i++
      continue
    }
    if (c[i] !== '"') return content
    i++
    while (i < c.length && c[i] !== '"') {
      if (c[i] === '\\' && i + 1 < c.length) i++
      out += c[i++]
    }
    if (c[i] !== '"') return content
    i++
  }
  return out
}

function envelope(result: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({success: true, errors: [], messages: [], result, ...extra})
}

function failure(errors: CfError[]): string {
  return JSON.stringify({success: false, errors, messages: [], result: null})
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      body += c
      if (body.length > 1 << 20) req.destroy(new Error('body too large'))
    })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

export async function startCloudflareStandin(options: {
  addresses: string[]
  port: number
  zones: string[]
  token: string
  sink: RecordSink
}): Promise<CloudflareStandin> {
  const zones = options.zones.map((z) => ({name: canonicalName(z), id: zoneIdFor(z)}))
  const records = new Map<string, StandinRecord>()
  const log: CloudflareCall[] = []
  const createdAt = new Date().toISOString()

  const zoneJson = (z: {name: string; id: string}): Record<string, unknown> => ({
    id: z.id,
    name: z.name,
    status: 'active',
    paused: false,
    type: 'full',
    development_mode: 0,
    name_servers: NAME_SERVERS,
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: createdAt,
    modified_on: createdAt,
    activated_on: createdAt,
    meta: {step: 4, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false},
    owner: {id: null, type: 'user', email: null},
    account: {id: 'cf0000000000000000000000000000ac', name: 'rdc ACME lab'},
    tenant: {id: null, name: null},
    tenant_unit: {id: null},
    permissions: ['#dns_records:edit', '#dns_records:read', '#zone:read'],
    plan: {id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee', name: 'Free Website', price: 0, currency: 'USD', frequency: '', is_subscribed: false,
      can_subscribe: false, legacy_id: 'free', legacy_discount: false, externally_managed: false},
  })

  const recordJson = (r: StandinRecord): Record<string, unknown> => ({
    id: r.id,
    zone_id: r.zoneId,
    zone_name: r.zoneName,
    name: r.name,
    type: r.type,
    content: r.content,
    proxiable: false,
    proxied: false,
    ttl: r.ttl,
    settings: {},
    meta: {},
    comment: null,
    tags: [],
    created_on: r.createdOn,
    modified_on: r.createdOn,
  })

  /** Pushes the current set of `type` values of `name` to the sink (called after every change of that name). */
  const mirror = async (type: string, name: string): Promise<void> => {
    const same = [...records.values()].filter((r) => r.type === type && r.name === name)
    if (type === 'TXT') await options.sink.setTxt(name, same.map((r) => txtValue(r.content)))
    if (type === 'A') await options.sink.setA(name, same.map((r) => r.content))
    if (type === 'AAAA') await options.sink.setAaaa(name, same.map((r) => r.content))
  }

  const paginate = <T>(items: T[], query: URLSearchParams): {page: T[]; info: Record<string, number>} => {
    const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 100) || 100, 5), 5000)
    const pageNo = Math.max(Number(query.get('page') ?? 1) || 1, 1)
    const page = items.slice((pageNo - 1) * perPage, pageNo * perPage)
    return {page, info: {page: pageNo, per_page: perPage, count: page.length, total_count: items.length, total_pages: Math.max(Math.ceil(items.length / perPage), 1)}}
  }

  async function handle(req: IncomingMessage, res: ServerResponse, call: CloudflareCall): Promise<void> {
    const send = (status: number, body: string): void => {
      call.status = status
      res.writeHead(status, {'content-type': 'application/json'})
      res.end(body)
    }
    const fail = (status: number, errors: CfError[]): void => {
      call.errors = errors.map((e) => e.code)
      send(status, failure(errors))
    }
    const url = new URL(req.url ?? '/', 'http://standin')
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
      fail(404, [{code: 7000, message: 'No route for that URI'}])
      return
    }
    const path = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, '')
    const method = req.method ?? 'GET'

    const header = req.headers.authorization
    const bearer = header === undefined ? undefined : /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header)?.[1]
    call.auth = header === undefined ? 'missing' : bearer === undefined ? 'malformed' : bearer === options.token ? 'matched' : 'wrong'
    call.tokenOk = call.auth === 'matched'
    if (call.auth === 'missing') {
      fail(400, [{code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers'}])
      return
    }
    if (call.auth === 'malformed') {
      fail(400, [{code: 6003, message: 'Invalid request headers', error_chain: [{code: 6111, message: 'Invalid format for Authorization header'}]}])
      return
    }

    if (method === 'GET' && path === '/user/tokens/verify') {
      if (call.auth !== 'matched') {
        fail(401, [{code: 1000, message: 'Invalid API Token'}])
        return
      }
      call.action = 'token-verified'
      send(200, JSON.stringify({result: {id: zoneIdFor('token'), status: 'active'}, success: true, errors: [],
        messages: [{code: 10000, message: 'This API Token is valid and active', type: null}]}))
      return
    }
    if (call.auth !== 'matched') {
      fail(403, [{code: 9109, message: 'Invalid access token'}])
      return
    }

    if (method === 'GET' && path === '/zones') {
      const name = url.searchParams.get('name')
      const matching = zones.filter((z) => name === null || z.name === canonicalName(name))
      const {page, info} = paginate(matching, url.searchParams)
      call.action = 'zones-listed'
      if (name !== null) call.zone = canonicalName(name)
      send(200, envelope(page.map(zoneJson), {result_info: info}))
      return
    }

    const m = /^\/zones\/([^/]+)(\/dns_records(?:\/([^/]+))?)?$/.exec(path)
    const zone = m ? zones.find((z) => z.id === m[1]) : undefined
    if (m && !zone) {
      fail(404, [{code: 7003, message: `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`}, {code: 7000, message: 'No route for that URI'}])
      return
    }
    if (!m || !zone) {
      fail(404, [{code: 7000, message: 'No route for that URI'}])
      return
    }
    call.zone = zone.name
    const [, , sub, recordId] = m

    if (method === 'GET' && !sub) {
      call.action = 'zone-read'
      send(200, envelope(zoneJson(zone)))
      return
    }

    if (method === 'GET' && sub && !recordId) {
      const type = url.searchParams.get('type')
      const name = url.searchParams.get('name') ?? url.searchParams.get('name.exact')
      const content = url.searchParams.get('content') ?? url.searchParams.get('content.exact')
      const matching = [...records.values()].filter(
        (r) => r.zoneId === zone.id && (!type || r.type === type.toUpperCase()) && (!name || r.name === canonicalName(name)) && (!content || r.content === content),
      )
      const {page, info} = paginate(matching, url.searchParams)
      call.action = 'records-listed'
      send(200, envelope(page.map(recordJson), {result_info: info}))
      return
    }

    if (method === 'POST' && sub && !recordId) {
      let body: {type?: unknown; name?: unknown; content?: unknown; ttl?: unknown}
      try {
        body = JSON.parse(await readBody(req)) as typeof body
      } catch {
        fail(400, [{code: 9207, message: 'Request body is invalid.'}])
        return
      }
      const type = typeof body.type === 'string' ? body.type.toUpperCase() : ''
      const rawName = typeof body.name === 'string' ? canonicalName(body.name) : ''
      const content = typeof body.content === 'string' ? body.content : ''
      if (!['TXT', 'A', 'AAAA'].includes(type)) {
        fail(400, [{code: 1004, message: 'DNS Validation Error', error_chain: [{code: 9000, message: `the stand-in keeps only TXT, A and AAAA records, not "${String(body.type)}"`}]}])
        return
      }
      if (rawName === '' || content === '') {
        fail(400, [{code: 9005, message: 'Content for record is invalid: name and content are required.'}])
        return
      }
      if ((type === 'A' && !isIPv4(content)) || (type === 'AAAA' && !isIPv6(content))) {
        fail(400, [{code: 9005, message: `Content for ${type} record is invalid. Must be a valid IPv${type === 'A' ? 4 : 6} address.`}])
        return
      }
      // Like Cloudflare: "@" is the apex, a name outside the zone is taken as relative to it.
      const name = rawName === '@' ? zone.name : rawName === zone.name || rawName.endsWith(`.${zone.name}`) ? rawName : `${rawName}.${zone.name}`
      const ttl = typeof body.ttl === 'number' ? body.ttl : 1
      const record: StandinRecord = {id: randomBytes(16).toString('hex'), zoneId: zone.id, zoneName: zone.name, type, name, content, ttl, createdOn: new Date().toISOString()}
      records.set(record.id, record)
      await mirror(type, name)
      Object.assign(call, {action: 'record-created', recordId: record.id, type, name, content})
      send(200, envelope(recordJson(record)))
      return
    }

    if (method === 'DELETE' && sub && recordId) {
      const record = records.get(recordId)
      if (!record || record.zoneId !== zone.id) {
        fail(404, [{code: 81044, message: 'Record does not exist.'}])
        return
      }
      records.delete(recordId)
      await mirror(record.type, record.name)
      Object.assign(call, {action: 'record-deleted', recordId: record.id, type: record.type, name: record.name, content: record.content})
      send(200, envelope({id: record.id}))
      return
    }

    fail(405, [{code: 10405, message: `Method ${method} not allowed for this route`}])
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const call: CloudflareCall = {at: new Date().toISOString(), method: req.method ?? 'GET', path: req.url ?? '/', tokenOk: false, auth: 'missing', status: 0}
    log.push(call)
    handle(req, res, call).catch((error: unknown) => {
      call.status = 500
      call.errors = [10001]
      if (!res.headersSent) res.writeHead(500, {'content-type': 'application/json'})
      res.end(failure([{code: 10001, message: `stand-in failure: ${error instanceof Error ? error.message : String(error)}`}]))
    })
  }
  const listeners = await listenOnAll(options.addresses, options.port, onRequest)

  return {
    port: options.port,
    baseUrl: (address) => `http://${hostForUrl(address)}:${options.port}${API_PREFIX}`,
    zoneId: zoneIdFor,
    calls: () => log.map((c) => ({...c, ...(c.errors ? {errors: [...c.errors]} : {})})),
    records: () => [...records.values()].map((r) => ({...r})),
    async stop() {
      await listeners.close()
    },
  }
}
