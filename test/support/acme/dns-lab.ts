/**
 * The DNS lab for `rdc dns`: the ACME lab (Pebble, challtestsrv, the DNS front) with a second Cloudflare API
 * stand-in (cloudflare-standin.ts, with the extra tokens a test asks for) mirroring into the same challtestsrv,
 * and a wildcard-aware resolver in front of the DNS front. The ACME lab's own stand-in keeps running; point Traefik
 * (CLOUDFLARE_BASE_URL) at this lab's cloudflareBaseUrl() so that lego's TXT records and rdc's A/AAAA records live
 * in one zone.
 */
import {startAcmeLab, type AcmeLab} from './lab.js'
import {cfCall, type CfAnswer} from './cloudflare-client.js'
import {startCloudflareDnsStandin, type DnsStandinCall, type DnsStandinRecord, type RecordSink, type TokenSpec, zoneIdFor} from './cloudflare-standin.js'
import {freePort} from './free-port.js'
import {startWildcardResolver} from './wildcard-resolver.js'

export type {DnsStandinCall, DnsStandinRecord, TokenSpec} from './cloudflare-standin.js'

export interface DnsLabOptions {
  /** This machine's addresses the clients reach (test hosts: the veth ends; local tests: 127.0.0.x). */
  addresses: string[]
  zones: string[]
  /** The token that may do everything. */
  token: string
  /** More tokens by value: read-only, limited to zones, disabled… */
  tokens?: Record<string, TokenSpec & {label?: string}>
  /** The DNS front's port (53 for test hosts; 0 = a free one, for tests on this machine). */
  dnsPort?: number
}

export interface CfRecordIn {
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT'
  name: string
  content: string
  ttl?: number
  proxied?: boolean
  comment?: string
}

export interface DnsLab {
  acme: AcmeLab
  /** http://addr:port/client/v4 of the DNS stand-in: the machine's --proxy-env CLOUDFLARE_BASE_URL. */
  cloudflareBaseUrl(address?: string): string
  /** "127.0.0.1:port": answers the zone's names (wildcards too) for `rdc diagnose --resolver` and the tests. */
  resolver(): string
  zoneId(zone: string): string
  records(): DnsStandinRecord[]
  calls(): DnsStandinCall[]
  /** The next `count` API calls answer 429 Retry-After `retryAfterSeconds`. */
  rateLimit(count: number, retryAfterSeconds?: number): void
  /** Any API call (token defaults to the lab's). */
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<CfAnswer<T>>
  /** A record made the way a person or another tool makes one (no rdc marker unless `comment` says so). */
  createRecord(zone: string, record: CfRecordIn, token?: string): Promise<DnsStandinRecord & {id: string}>
  /** PATCH, e.g. {proxied: true} as someone clicking the orange cloud. */
  updateRecord(zone: string, id: string, fields: Partial<CfRecordIn>, token?: string): Promise<void>
  stop(): Promise<void>
}

/** challtestsrv's management API as a sink: each name's whole set replaced, one change at a time. */
function challtestsrvSink(management: string): RecordSink {
  let queue: Promise<unknown> = Promise.resolve()
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${management}${path}`, {method: 'POST', body: JSON.stringify(body)})
    if (res.status !== 200) throw new Error(`challtestsrv ${path} answered ${res.status}: ${await res.text()}`)
  }
  const fqdn = (host: string) => `${host.toLowerCase().replace(/\.$/, '')}.`
  const replace = (clear: string, add: (host: string, values: string[]) => Promise<void>) => (host: string, values: string[]) => {
    const job = async () => {
      await post(clear, {host: fqdn(host)})
      await add(fqdn(host), values)
    }
    const next = queue.then(job, job)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    setTxt: replace('/clear-txt', async (host, values) => {
      for (const value of values) await post('/set-txt', {host, value})
    }),
    setA: replace('/clear-a', async (host, addresses) => {
      if (addresses.length > 0) await post('/add-a', {host, addresses})
    }),
    setAaaa: replace('/clear-aaaa', async (host, addresses) => {
      if (addresses.length > 0) await post('/add-aaaa', {host, addresses})
    }),
  }
}

export async function startDnsLab(options: DnsLabOptions): Promise<DnsLab> {
  const acme = await startAcmeLab({addresses: options.addresses, zones: options.zones, token: options.token, ...(options.dnsPort === undefined ? {} : {dnsPort: options.dnsPort})})
  const stops: Array<() => Promise<void>> = [() => acme.stop()]
  const stop = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined)
  }
  try {
    const api = await startCloudflareDnsStandin({
      addresses: acme.addresses,
      port: await freePort(acme.addresses),
      zones: options.zones,
      token: options.token,
      ...(options.tokens ? {tokens: options.tokens} : {}),
      sink: challtestsrvSink(acme.challtestsrv.management),
    })
    stops.push(() => api.stop())
    const resolver = await startWildcardResolver({upstream: acme.resolver(), zones: acme.zones, names: () => api.records().map((r) => r.name)})
    stops.push(() => resolver.stop())
    const base = (address?: string) => api.baseUrl(address ?? acme.addresses[0]!)
    const call = <T>(method: string, path: string, body?: unknown, token?: string) => cfCall<T>(base(), token ?? options.token, method, path, body)
    return {
      acme,
      cloudflareBaseUrl: base,
      resolver: () => resolver.address,
      zoneId: zoneIdFor,
      records: () => api.records(),
      calls: () => api.calls(),
      rateLimit: (count, retryAfter) => api.rateLimit(count, retryAfter),
      api: call,
      async createRecord(zone, record, token) {
        const r = await call<{id: string}>('POST', `/zones/${zoneIdFor(zone)}/dns_records`, {ttl: 1, ...record}, token)
        if (!r.body.success) throw new Error(`creating ${record.type} ${record.name}: ${r.status} ${JSON.stringify(r.body.errors)}`)
        return api.records().find((x) => x.id === r.body.result.id)!
      },
      async updateRecord(zone, id, fields, token) {
        const r = await call('PATCH', `/zones/${zoneIdFor(zone)}/dns_records/${id}`, fields, token)
        if (!r.body.success) throw new Error(`updating ${id}: ${r.status} ${JSON.stringify(r.body.errors)}`)
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
