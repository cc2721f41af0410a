/**
 * A small client for the part of Cloudflare's v4 API that rdc uses: zones, DNS records and token verification.
 * Every answer is Cloudflare's envelope `{success, errors, messages, result, result_info}`; lists are paged with
 * `page`/`per_page` and `result_info.total_pages`. The token travels only in the Authorization header (Bearer) and
 * never in an error: errors carry the method, the path and Cloudflare's codes.
 *
 * Rate limits: Cloudflare answers 429 with `Retry-After` (seconds) once a user passes 1200 requests per five
 * minutes. The client waits that long (at most maxRetryWaitMs, 1 s → 2 s → 4 s when the header is missing) and
 * retries, at most maxRetries times, then gives up with the 429.
 */
import type {Secret} from '../../config/secret.js'

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4'

export interface CfMessage {
  code: number
  message: string
  error_chain?: CfMessage[]
}

export interface CfResultInfo {
  page?: number
  per_page?: number
  count?: number
  total_count?: number
  total_pages?: number
}

export interface CfEnvelope<T> {
  success: boolean
  errors: CfMessage[]
  messages?: unknown[]
  result: T
  result_info?: CfResultInfo
}

export interface CfZone {
  id: string
  name: string
  status?: string
}

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT' | string

export interface CfDnsRecord {
  id: string
  zone_id?: string
  zone_name?: string
  /** Full name, lower case, no trailing dot (Cloudflare's form). */
  name: string
  type: RecordType
  content: string
  proxied?: boolean
  proxiable?: boolean
  /** 1 = automatic. */
  ttl: number
  comment?: string | null
  tags?: string[]
}

export interface RecordInput {
  type: RecordType
  name: string
  content: string
  ttl: number
  proxied?: boolean
  comment?: string
}

/** Cloudflare answered, and not with success (after retries, for 429). */
export class CloudflareApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: CfMessage[],
    readonly method: string,
    readonly path: string,
  ) {
    super(`Cloudflare answered ${status} to ${method} ${path}${errors.length ? `: ${cfErrorText(errors)}` : ''}`)
    this.name = 'CloudflareApiError'
  }

  /** Every code, chained ones included. */
  codes(): number[] {
    const out: number[] = []
    const walk = (list: CfMessage[] | undefined): void => {
      for (const e of list ?? []) {
        out.push(e.code)
        walk(e.error_chain)
      }
    }
    walk(this.errors)
    return out
  }
}

/** The API could not be reached at all (DNS, TCP, TLS, timeout). */
export class CloudflareUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`cannot reach ${baseUrl}: ${reason}`)
    this.name = 'CloudflareUnreachableError'
  }
}

/** "9109: Invalid access token", chained codes after "; ". */
export function cfErrorText(errors: CfMessage[]): string {
  return errors.map((e) => [`${e.code}: ${e.message}`, ...(e.error_chain ?? []).map((c) => `${c.code}: ${c.message}`)].join('; ')).join(', ')
}

export interface CloudflareClientOptions {
  token: Secret
  /** Default https://api.cloudflare.com/client/v4; paths are joined onto it. */
  baseUrl?: string
  /** Retries of a 429 (default 3). */
  maxRetries?: number
  /** Longest single wait for a 429 (default 60 s); a longer Retry-After is cut to it. */
  maxRetryWaitMs?: number
  /** Per request (default 30 s). */
  timeoutMs?: number
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const v = header.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export class CloudflareClient {
  readonly baseUrl: string
  readonly #token: Secret
  readonly #maxRetries: number
  readonly #maxWait: number
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch
  readonly #sleep: (ms: number) => Promise<void>
  /** Requests sent and 429s waited out, for reports and tests. */
  readonly stats = {requests: 0, rateLimited: 0}

  constructor(o: CloudflareClientOptions) {
    this.baseUrl = (o.baseUrl ?? CLOUDFLARE_API).replace(/\/+$/, '')
    this.#token = o.token
    this.#maxRetries = o.maxRetries ?? 3
    this.#maxWait = o.maxRetryWaitMs ?? 60_000
    this.#timeoutMs = o.timeoutMs ?? 30_000
    this.#fetch = o.fetch ?? fetch
    this.#sleep = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /** One call; resolves with the envelope of a success, throws CloudflareApiError or CloudflareUnreachableError. */
  async request<T>(method: string, path: string, options: {query?: Record<string, string | number>; body?: unknown} = {}): Promise<CfEnvelope<T>> {
    const query = options.query ? `?${new URLSearchParams(Object.entries(options.query).map(([k, v]): [string, string] => [k, String(v)])).toString()}` : ''
    const url = `${this.baseUrl}${path}${query}`
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        this.stats.requests++
        res = await this.#fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.#token.reveal()}`,
            accept: 'application/json',
            ...(options.body === undefined ? {} : {'content-type': 'application/json'}),
          },
          ...(options.body === undefined ? {} : {body: JSON.stringify(options.body)}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        })
      } catch (error) {
        throw new CloudflareUnreachableError(this.baseUrl, networkReason(error))
      }
      const text = await res.text()
      let body: Partial<CfEnvelope<T>> | undefined
      try {
        body = JSON.parse(text) as Partial<CfEnvelope<T>>
      } catch {
        body = undefined
      }
      if (res.status === 429 && attempt < this.#maxRetries) {
        this.stats.rateLimited++
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? 1000 * 2 ** attempt
        await this.#sleep(Math.min(wait, this.#maxWait))
        continue
      }
      if (res.ok && body?.success === true) return body as CfEnvelope<T>
      const errors = Array.isArray(body?.errors) && body.errors.length > 0 ? body.errors : [{code: 0, message: body === undefined ? `not JSON: ${text.slice(0, 120)}` : 'no error given'}]
      throw new CloudflareApiError(res.status, errors, method, `${path}${query}`)
    }
  }

  /** Every item of a paged list. */
  async listAll<T>(path: string, query: Record<string, string | number> = {}, perPage = 100): Promise<T[]> {
    const items: T[] = []
    for (let page = 1; page <= 10_000; page++) {
      const answer = await this.request<T[]>('GET', path, {query: {...query, page, per_page: perPage}})
      const got = Array.isArray(answer.result) ? answer.result : []
      items.push(...got)
      const info = answer.result_info
      const pages = info?.total_pages ?? (info?.total_count !== undefined && info.per_page ? Math.ceil(info.total_count / info.per_page) : undefined)
      if (pages !== undefined ? page >= pages : got.length < perPage) break
    }
    return items
  }

  /** Zones the token can see (Zone:Zone:Read). Cloudflare caps per_page at 50 here. */
  listZones(): Promise<CfZone[]> {
    return this.listAll<CfZone>('/zones', {}, 50)
  }

  listRecords(zoneId: string): Promise<CfDnsRecord[]> {
    return this.listAll<CfDnsRecord>(`/zones/${encodeURIComponent(zoneId)}/dns_records`, {}, 100)
  }

  async createRecord(zoneId: string, record: RecordInput): Promise<CfDnsRecord> {
    return (await this.request<CfDnsRecord>('POST', `/zones/${encodeURIComponent(zoneId)}/dns_records`, {body: record})).result
  }

  /** PATCH: only the given fields change. */
  async updateRecord(zoneId: string, recordId: string, fields: Partial<RecordInput>): Promise<CfDnsRecord> {
    return (await this.request<CfDnsRecord>('PATCH', `/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(recordId)}`, {body: fields})).result
  }

  async deleteRecord(zoneId: string, recordId: string): Promise<void> {
    await this.request('DELETE', `/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(recordId)}`)
  }

  /** GET /user/tokens/verify: `active`, `disabled` or `expired` (user-owned tokens; account tokens are refused here). */
  async verifyToken(): Promise<{id?: string; status?: string; expires_on?: string}> {
    return (await this.request<{id?: string; status?: string; expires_on?: string}>('GET', '/user/tokens/verify')).result ?? {}
  }
}

function networkReason(error: unknown): string {
  const e = error as {name?: string; message?: string; cause?: {code?: string; message?: string}}
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'no answer in time'
  const cause = e?.cause
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`
  return cause?.message ?? e?.message ?? String(error)
}
