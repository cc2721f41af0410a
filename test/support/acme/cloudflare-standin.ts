/**
 * The Cloudflare v4 DNS API stand-in: what lego's `cloudflare` DNS provider calls (lego v5.5.2, the version inside
 * Traefik 3.7.15: list the zone by name with per_page=50, POST the TXT record, DELETE it), and what `rdc dns` and
 * the token check call:
 *
 *   GET    /zones[?name=&page=&per_page=]                 zones the token may see (per_page 5–50)
 *   GET    /zones/{id}
 *   GET    /zones/{id}/dns_records[?type=&name=&name.exact=&content=&page=&per_page=]   (per_page 5–5000)
 *   GET    /zones/{id}/dns_records/{rid}
 *   POST   /zones/{id}/dns_records                        {type, name, content, ttl, proxied, comment, tags}
 *   PATCH  /zones/{id}/dns_records/{rid}                  only the given fields change
 *   PUT    /zones/{id}/dns_records/{rid}                  the whole record (type, name, content required)
 *   DELETE /zones/{id}/dns_records/{rid}
 *   GET    /user/tokens/verify
 *
 * Records keep `comment` (at most 100 characters, Cloudflare's Free-plan limit), `proxied` (A, AAAA and CNAME only)
 * and `tags`. Cloudflare's rules for a name are kept: a CNAME shares its name with nothing else (81053/81054) and an
 * identical record is refused (81058). Types: A, AAAA, CNAME, TXT.
 *
 * Refusals copy what Cloudflare answers: no Authorization header 400 9106, not "Bearer <token>" 400 6003/6111, a
 * token that is not one of ours 403 9109 (401 1000 on /user/tokens/verify), an unknown zone id 404 7003, an unknown
 * record id 404 81044. An unknown zone NAME is not an error: the list is empty (lego then says "zone could not be
 * found"). Each call's `token` in the log says which token it carried: 'main' (the lab's), a `tokens` label, or
 * 'missing', 'malformed', 'wrong'.
 *
 * Tokens: the lab's token may do everything; `tokens` adds more, each `edit` or `read` (a read-only token gets 403
 * `10000 Authentication error` on every write, as Cloudflare answers a token without Zone:DNS:Edit), optionally
 * limited to some zones (others are invisible in listings and answer 403 10000), and `status` (a `disabled` or
 * `expired` token says so at /user/tokens/verify and is refused elsewhere with 403 9109).
 *
 * `rateLimit(n, retryAfter)` makes the next n calls answer 429 with `Retry-After: <retryAfter>` and
 * `971 Please wait and consider throttling your request speed`, as Cloudflare does past its limit.
 *
 * TXT, A and AAAA records are mirrored into the sink (challtestsrv) before the API answers; a proxied A/AAAA is
 * mirrored as Cloudflare's anycast address (PROXY_IPV4/PROXY_IPV6), since that is what DNS then answers. CNAMEs
 * are kept but not mirrored. Every call is logged without the token.
 */
import {createHash, randomBytes} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {isIPv4, isIPv6} from 'node:net'

import {listenOnAll} from './http-listeners.js'
import {canonicalName} from './dns-wire.js'
import {hostForUrl} from './pebble.js'

/**
 * lego joins paths onto CLOUDFLARE_BASE_URL (url.JoinPath) and its default is https://api.cloudflare.com/client/v4,
 * so the base a client is given must include /client/v4: baseUrl() returns http://<addr>:<port>/client/v4.
 */
export const API_PREFIX = '/client/v4'
export const NAME_SERVERS = ['ns1.cf-standin.test', 'ns2.cf-standin.test']

/** What DNS answers for a proxied record: one of Cloudflare's anycast addresses. */
export const PROXY_IPV4 = '104.16.0.1'
export const PROXY_IPV6 = '2606:4700::6810:1'

export type TokenAccess = 'edit' | 'read'

export interface TokenSpec {
  access: TokenAccess
  /** Zone apexes the token is limited to (default: all). */
  zones?: string[]
  /** Default 'active'. */
  status?: 'active' | 'disabled' | 'expired'
}

export interface DnsStandinRecord {
  id: string
  zoneId: string
  zoneName: string
  type: string
  /** Lower case, no trailing dot, the full name. */
  name: string
  content: string
  ttl: number
  proxied: boolean
  comment: string | null
  tags: string[]
  createdOn: string
  modifiedOn: string
}

export interface DnsStandinCall {
  at: string
  method: string
  path: string
  /** Which configured token was used: 'main', a name from `tokens`, or why none matched. */
  token: string
  status: number
  action?: 'zones-listed' | 'zone-read' | 'records-listed' | 'record-read' | 'record-created' | 'record-updated' | 'record-deleted' | 'token-verified' | 'rate-limited'
  zone?: string
  recordId?: string
  type?: string
  name?: string
  content?: string
  comment?: string | null
  proxied?: boolean
  errors?: number[]
}

export interface CloudflareDnsStandin {
  port: number
  baseUrl(address: string): string
  zoneId(zone: string): string
  calls(): DnsStandinCall[]
  records(): DnsStandinRecord[]
  /** The next `count` calls answer 429 with Retry-After: `retryAfterSeconds`. */
  rateLimit(count: number, retryAfterSeconds?: number): void
  stop(): Promise<void>
}

interface CfError {
  code: number
  message: string
  error_chain?: Array<{code: number; message: string}>
}

/** Where records go so that DNS answers them; challtestsrv in the lab. */
export interface RecordSink {
  setTxt(host: string, values: string[]): Promise<void>
  setA(host: string, addresses: string[]): Promise<void>
  setAaaa(host: string, addresses: string[]): Promise<void>
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

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly errors: CfError[],
  ) {
    super(errors.map((e) => `${e.code} ${e.message}`).join(', '))
  }
}

const TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT'])
const PROXIABLE = new Set(['A', 'AAAA', 'CNAME'])
const AUTH_ERROR: CfError = {code: 10000, message: 'Authentication error'}

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

export async function startCloudflareDnsStandin(options: {
  addresses: string[]
  port: number
  zones: string[]
  /** The token that may do everything. */
  token: string
  /** More tokens, by value. */
  tokens?: Record<string, TokenSpec & {label?: string}>
  sink: RecordSink
}): Promise<CloudflareDnsStandin> {
  const zones = options.zones.map((z) => ({name: canonicalName(z), id: zoneIdFor(z)}))
  const records = new Map<string, DnsStandinRecord>()
  const log: DnsStandinCall[] = []
  const createdAt = new Date().toISOString()
  let limited = 0
  let retryAfter = 1
  const tokens = new Map<string, TokenSpec & {label: string}>([[options.token, {access: 'edit', label: 'main'}]])
  for (const [value, spec] of Object.entries(options.tokens ?? {})) tokens.set(value, {...spec, label: spec.label ?? `${spec.access}-token`})

  const zoneJson = (z: {name: string; id: string}, access: TokenAccess): Record<string, unknown> => ({
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
    owner: {id: null, type: 'user', email: null},
    account: {id: 'cf0000000000000000000000000000ac', name: 'rdc DNS lab'},
    permissions: access === 'edit' ? ['#dns_records:edit', '#dns_records:read', '#zone:read'] : ['#dns_records:read', '#zone:read'],
    plan: {id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee', name: 'Free Website', price: 0, currency: 'USD', legacy_id: 'free'},
  })

  const recordJson = (r: DnsStandinRecord): Record<string, unknown> => ({
    id: r.id,
    zone_id: r.zoneId,
    zone_name: r.zoneName,
    name: r.name,
    type: r.type,
    content: r.content,
    proxiable: PROXIABLE.has(r.type),
    proxied: r.proxied,
    ttl: r.ttl,
    settings: {},
    meta: {},
    comment: r.comment,
    tags: r.tags,
    created_on: r.createdOn,
    modified_on: r.modifiedOn,
    ...(r.comment === null ? {} : {comment_modified_on: r.modifiedOn}),
  })

  const mirror = async (type: string, name: string): Promise<void> => {
    const same = [...records.values()].filter((r) => r.type === type && r.name === name)
    if (type === 'TXT') await options.sink.setTxt(name, same.map((r) => txtValue(r.content)))
    if (type === 'A') await options.sink.setA(name, [...new Set(same.map((r) => (r.proxied ? PROXY_IPV4 : r.content)))])
    if (type === 'AAAA') await options.sink.setAaaa(name, [...new Set(same.map((r) => (r.proxied ? PROXY_IPV6 : r.content)))])
  }

  const paginate = <T>(items: T[], query: URLSearchParams, max: number): {page: T[]; info: Record<string, number>} => {
    const perPage = Math.min(Math.max(Number(query.get('per_page') ?? (max === 50 ? 20 : 100)) || 100, 5), max)
    const pageNo = Math.max(Number(query.get('page') ?? 1) || 1, 1)
    const page = items.slice((pageNo - 1) * perPage, pageNo * perPage)
    return {page, info: {page: pageNo, per_page: perPage, count: page.length, total_count: items.length, total_pages: Math.max(Math.ceil(items.length / perPage), 1)}}
  }

  /** The record a POST/PUT/PATCH would leave, checked as Cloudflare checks it. */
  const validated = (zone: {name: string; id: string}, input: Record<string, unknown>, base: DnsStandinRecord | undefined): Omit<DnsStandinRecord, 'id' | 'createdOn' | 'modifiedOn'> => {
    const type = typeof input.type === 'string' ? input.type.toUpperCase() : base?.type ?? ''
    if (!TYPES.has(type)) throw new Refusal(400, [{code: 1004, message: 'DNS Validation Error', error_chain: [{code: 9000, message: `the stand-in keeps only A, AAAA, CNAME and TXT records, not "${String(input.type)}"`}]}])
    const rawName = typeof input.name === 'string' ? canonicalName(input.name) : base?.name ?? ''
    const content = typeof input.content === 'string' ? input.content : base?.content ?? ''
    if (rawName === '' || content === '') throw new Refusal(400, [{code: 9005, message: 'Content for record is invalid: name and content are required.'}])
    if ((type === 'A' && !isIPv4(content)) || (type === 'AAAA' && !isIPv6(content))) {
      throw new Refusal(400, [{code: 9005, message: `Content for ${type} record is invalid. Must be a valid IPv${type === 'A' ? 4 : 6} address.`}])
    }
    const name = rawName === '@' ? zone.name : rawName === zone.name || rawName.endsWith(`.${zone.name}`) ? rawName : `${rawName}.${zone.name}`
    const ttl = typeof input.ttl === 'number' ? input.ttl : base?.ttl ?? 1
    if (ttl !== 1 && (ttl < 60 || ttl > 86_400)) throw new Refusal(400, [{code: 9021, message: 'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.'}])
    const proxied = typeof input.proxied === 'boolean' ? input.proxied : base?.proxied ?? false
    if (proxied && !PROXIABLE.has(type)) throw new Refusal(400, [{code: 9004, message: `This record type cannot be proxied.`}])
    const comment = input.comment === undefined ? (base?.comment ?? null) : input.comment === null || input.comment === '' ? null : String(input.comment)
    if (comment !== null && comment.length > 100) throw new Refusal(400, [{code: 9101, message: 'DNS record comment is too long. Maximum length is 100 characters.'}])
    const tags = Array.isArray(input.tags) ? input.tags.map(String) : base?.tags ?? []
    const others = [...records.values()].filter((r) => r.zoneId === zone.id && r.name === name && r.id !== base?.id)
    if (type === 'CNAME' && others.length > 0) throw new Refusal(400, [{code: 81053, message: 'An A, AAAA, or CNAME record with that host already exists.'}])
    if (type !== 'CNAME' && others.some((r) => r.type === 'CNAME')) throw new Refusal(400, [{code: 81054, message: 'A CNAME record with that host already exists.'}])
    if (others.some((r) => r.type === type && r.content === content)) throw new Refusal(400, [{code: 81058, message: 'An identical record already exists.'}])
    return {zoneId: zone.id, zoneName: zone.name, type, name, content, ttl, proxied, comment, tags}
  }

  async function handle(req: IncomingMessage, res: ServerResponse, call: DnsStandinCall): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      call.status = status
      res.writeHead(status, {'content-type': 'application/json', ...headers})
      res.end(JSON.stringify(body))
    }
    const ok = (result: unknown, extra: Record<string, unknown> = {}): void => send(200, {success: true, errors: [], messages: [], result, ...extra})
    const fail = (status: number, errors: CfError[], headers: Record<string, string> = {}): void => {
      call.errors = errors.map((e) => e.code)
      send(status, {success: false, errors, messages: [], result: null}, headers)
    }
    if (limited > 0) {
      limited--
      call.action = 'rate-limited'
      fail(429, [{code: 971, message: 'Please wait and consider throttling your request speed'}], {'retry-after': String(retryAfter)})
      return
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
    const spec = bearer === undefined ? undefined : tokens.get(bearer)
    call.token = header === undefined ? 'missing' : bearer === undefined ? 'malformed' : spec ? spec.label : 'wrong'
    if (header === undefined) return fail(400, [{code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers'}])
    if (bearer === undefined) return fail(400, [{code: 6003, message: 'Invalid request headers', error_chain: [{code: 6111, message: 'Invalid format for Authorization header'}]}])

    if (method === 'GET' && path === '/user/tokens/verify') {
      if (!spec) return fail(401, [{code: 1000, message: 'Invalid API Token'}])
      call.action = 'token-verified'
      const status = spec.status ?? 'active'
      return send(200, {result: {id: zoneIdFor(`token:${spec.label}`), status}, success: true, errors: [], messages: [{code: 10000, message: status === 'active' ? 'This API Token is valid and active' : `This API Token is ${status}`, type: null}]})
    }
    if (!spec || (spec.status ?? 'active') !== 'active') return fail(403, [{code: 9109, message: 'Invalid access token'}])
    const visible = zones.filter((z) => spec.zones === undefined || spec.zones.map(canonicalName).includes(z.name))

    if (method === 'GET' && path === '/zones') {
      const name = url.searchParams.get('name')
      const matching = visible.filter((z) => name === null || z.name === canonicalName(name))
      const {page, info} = paginate(matching, url.searchParams, 50)
      call.action = 'zones-listed'
      if (name !== null) call.zone = canonicalName(name)
      return ok(page.map((z) => zoneJson(z, spec.access)), {result_info: info})
    }

    const m = /^\/zones\/([^/]+)(\/dns_records(?:\/([^/]+))?)?$/.exec(path)
    if (!m) return fail(404, [{code: 7000, message: 'No route for that URI'}])
    const zone = zones.find((z) => z.id === m[1])
    if (!zone) return fail(404, [{code: 7003, message: `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`}, {code: 7000, message: 'No route for that URI'}])
    if (!visible.includes(zone)) return fail(403, [AUTH_ERROR])
    call.zone = zone.name
    const [, , sub, recordId] = m
    if (method === 'GET' && !sub) {
      call.action = 'zone-read'
      return ok(zoneJson(zone, spec.access))
    }
    if (!sub) return fail(405, [{code: 10405, message: `Method ${method} not allowed for this route`}])

    if (method === 'GET' && !recordId) {
      const type = url.searchParams.get('type')
      const name = url.searchParams.get('name') ?? url.searchParams.get('name.exact')
      const content = url.searchParams.get('content') ?? url.searchParams.get('content.exact')
      const matching = [...records.values()]
        .filter((r) => r.zoneId === zone.id && (!type || r.type === type.toUpperCase()) && (!name || r.name === canonicalName(name)) && (!content || r.content === content))
        .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type) || a.createdOn.localeCompare(b.createdOn))
      const {page, info} = paginate(matching, url.searchParams, 5000)
      call.action = 'records-listed'
      return ok(page.map(recordJson), {result_info: info})
    }
    const existing = recordId === undefined ? undefined : records.get(recordId)
    if (recordId !== undefined && (!existing || existing.zoneId !== zone.id)) return fail(404, [{code: 81044, message: 'Record does not exist.'}])
    if (method === 'GET') {
      call.action = 'record-read'
      return ok(recordJson(existing!))
    }
    if (!['POST', 'PATCH', 'PUT', 'DELETE'].includes(method) || (method === 'POST') !== (recordId === undefined)) {
      return fail(405, [{code: 10405, message: `Method ${method} not allowed for this route`}])
    }
    if (spec.access !== 'edit') return fail(403, [AUTH_ERROR])

    if (method === 'DELETE') {
      records.delete(existing!.id)
      await mirror(existing!.type, existing!.name)
      Object.assign(call, {action: 'record-deleted', recordId: existing!.id, type: existing!.type, name: existing!.name, content: existing!.content, comment: existing!.comment})
      return ok({id: existing!.id})
    }
    let body: Record<string, unknown>
    try {
      const parsed = JSON.parse(await readBody(req)) as unknown
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      body = parsed as Record<string, unknown>
    } catch {
      return fail(400, [{code: 9207, message: 'Request body is invalid.'}])
    }
    if (method === 'PUT' && (body.type === undefined || body.name === undefined || body.content === undefined)) {
      return fail(400, [{code: 9005, message: 'Content for record is invalid: type, name and content are required.'}])
    }
    const next = validated(zone, body, method === 'PATCH' ? existing : method === 'PUT' ? {...existing!, comment: null, tags: [], proxied: false, ttl: 1} : undefined)
    const stamp = new Date().toISOString()
    const record: DnsStandinRecord = existing ? {...existing, ...next, modifiedOn: stamp} : {id: randomBytes(16).toString('hex'), ...next, createdOn: stamp, modifiedOn: stamp}
    records.set(record.id, record)
    if (existing && (existing.type !== record.type || existing.name !== record.name)) await mirror(existing.type, existing.name)
    await mirror(record.type, record.name)
    Object.assign(call, {action: existing ? 'record-updated' : 'record-created', recordId: record.id, type: record.type, name: record.name, content: record.content, comment: record.comment, proxied: record.proxied})
    return ok(recordJson(record))
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const call: DnsStandinCall = {at: new Date().toISOString(), method: req.method ?? 'GET', path: req.url ?? '/', token: 'missing', status: 0}
    log.push(call)
    handle(req, res, call).catch((error: unknown) => {
      if (error instanceof Refusal) {
        call.status = error.status
        call.errors = error.errors.map((e) => e.code)
        res.writeHead(error.status, {'content-type': 'application/json'})
        res.end(JSON.stringify({success: false, errors: error.errors, messages: [], result: null}))
        return
      }
      call.status = 500
      call.errors = [10001]
      if (!res.headersSent) res.writeHead(500, {'content-type': 'application/json'})
      res.end(JSON.stringify({success: false, errors: [{code: 10001, message: `stand-in failure: ${error instanceof Error ? error.message : String(error)}`}], messages: [], result: null}))
    })
  }

  const listeners = await listenOnAll(options.addresses, options.port, onRequest)

  return {
    port: options.port,
    baseUrl: (address) => `http://${hostForUrl(address)}:${options.port}${API_PREFIX}`,
    zoneId: zoneIdFor,
    calls: () => log.map((c) => ({...c, ...(c.errors ? {errors: [...c.errors]} : {})})),
    records: () => [...records.values()].map((r) => ({...r, tags: [...r.tags]})),
    rateLimit(count, retryAfterSeconds = 1) {
      limited = count
      retryAfter = retryAfterSeconds
    },
    stop: async () => {
      await listeners.close()
    },
  }
}
