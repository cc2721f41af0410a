/**
 * The Cloudflare client against the DNS API stand-in (no DNS behind it here): the envelope, paging, 429 with
 * Retry-After, and every refusal in plain words through explainCloudflareError.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Secret} from '../../src/config/secret.js'
import {CloudflareApiError, CloudflareClient, CloudflareUnreachableError, retryAfterMs} from '../../src/dns/cloudflare/client.js'
import {explainCloudflareError} from '../../src/dns/cloudflare/explain.js'
import {checkCloudflareToken} from '../../src/dns/token-check.js'
import {CloudflareError} from '../../src/errors.js'
import {cfCall} from '../support/acme/cloudflare-client.js'
import {startCloudflareDnsStandin, type CloudflareDnsStandin} from '../support/acme/cloudflare-standin.js'
import {freePort} from '../support/acme/free-port.js'

const ADDRESS = '127.0.0.1'
const TOKEN = 'cf-client-test-token'
const READ_ONLY = 'cf-client-test-read-only'
const ORG_ONLY = 'cf-client-test-org-only'
const DISABLED = 'cf-client-test-disabled'
const noSink = {setTxt: async () => {}, setA: async () => {}, setAaaa: async () => {}}

let api: CloudflareDnsStandin
let base: string
const client = (token = TOKEN, extra: Partial<ConstructorParameters<typeof CloudflareClient>[0]> = {}) =>
  new CloudflareClient({baseUrl: base, token: new Secret(token), maxRetryWaitMs: 50, ...extra})

beforeAll(async () => {
  api = await startCloudflareDnsStandin({
    addresses: [ADDRESS],
    port: await freePort([ADDRESS]),
    zones: ['example.com', 'example.org'],
    token: TOKEN,
    tokens: {[READ_ONLY]: {access: 'read'}, [ORG_ONLY]: {access: 'edit', zones: ['example.org']}, [DISABLED]: {access: 'edit', status: 'disabled'}},
    sink: noSink,
  })
  base = api.baseUrl(ADDRESS)
})
afterAll(async () => {
  await api?.stop()
})

describe('CloudflareClient', () => {
  it('lists every page of a zone’s records (230 records, 100 a page)', async () => {
    const zoneId = api.zoneId('example.com')
    for (let i = 0; i < 230; i++) {
      const r = await cfCall(base, TOKEN, 'POST', `/zones/${zoneId}/dns_records`, {type: 'TXT', name: `t${i}.paging.example.com`, content: `"${i}"`, ttl: 60})
      expect(r.body.success).toBe(true)
    }
    const c = client()
    const records = await c.listRecords(zoneId)
    expect(records.filter((r) => r.name.endsWith('.paging.example.com'))).toHaveLength(230)
    expect(api.calls().filter((x) => x.action === 'records-listed').map((x) => new URL(x.path, 'http://x').searchParams.get('page'))).toEqual(['1', '2', '3'])
    for (const r of records) await c.deleteRecord(zoneId, r.id)
    expect(await c.listRecords(zoneId)).toEqual([])
  })

  it('creates, patches (comment, proxied) and deletes a record; the token is never in an error', async () => {
    const c = client()
    const zoneId = api.zoneId('example.com')
    const made = await c.createRecord(zoneId, {type: 'A', name: 'app.example.com', content: '203.0.113.10', ttl: 1, proxied: false, comment: 'managed by rdc: prod/m1'})
    expect(made).toMatchObject({name: 'app.example.com', proxied: false, comment: 'managed by rdc: prod/m1', ttl: 1})
    const patched = await c.updateRecord(zoneId, made.id, {proxied: true})
    expect(patched).toMatchObject({content: '203.0.113.10', proxied: true, comment: 'managed by rdc: prod/m1'})
    const twice = await c.createRecord(zoneId, {type: 'A', name: 'app.example.com', content: '203.0.113.10', ttl: 1}).catch((e: unknown) => e)
    expect(twice).toBeInstanceOf(CloudflareApiError)
    expect((twice as CloudflareApiError).codes()).toEqual([81058])
    expect(String((twice as Error).message)).not.toContain(TOKEN)
    await c.deleteRecord(zoneId, made.id)
  })

  it('429 with Retry-After is waited out and retried, a bounded number of times', async () => {
    const waits: number[] = []
    const c = client(TOKEN, {maxRetries: 3, sleep: async (ms) => void waits.push(ms)})
    api.rateLimit(2, 7)
    expect((await c.listZones()).map((z) => z.name)).toEqual(['example.com', 'example.org'])
    expect(waits).toEqual([50, 50])
    expect(c.stats.rateLimited).toBe(2)
    api.rateLimit(4, 0)
    const error = await c.listZones().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudflareApiError)
    expect((error as CloudflareApiError).status).toBe(429)
    const explained = explainCloudflareError(error, {doing: 'listing the zones the token can see', need: 'zone-read'})
    expect(explained).toBeInstanceOf(CloudflareError)
    expect(explained.exitCode).toBe(10)
    expect(explained.message).toMatch(/^Cloudflare's rate limit held after retries while listing the zones the token can see: it answered 429/)
    expect(retryAfterMs('3')).toBe(3000)
    expect(retryAfterMs(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000)
    expect(retryAfterMs(null)).toBeUndefined()
  })

  it('refusals in plain words: a wrong token, a read-only token, an unreachable API', async () => {
    const wrong = await client('not-the-token').listZones().catch((e: unknown) => e)
    const refused = explainCloudflareError(wrong, {doing: 'listing the zones the token can see', need: 'zone-read', machine: 'm1'})
    expect(refused.message).toBe('Cloudflare refused the token while listing the zones the token can see: it answered 403 (9109: Invalid access token). The token is wrong, expired or revoked.')
    expect(refused.suggestion).toContain('Zone › Zone › Read and Zone › DNS › Edit')
    expect(refused.suggestion).toContain('rdc context set-infra m1 --cf-dns-token -')

    const ro = client(READ_ONLY)
    expect((await ro.listRecords(api.zoneId('example.com'))).length).toBeGreaterThanOrEqual(0)
    const write = await ro.createRecord(api.zoneId('example.com'), {type: 'A', name: 'x.example.com', content: '203.0.113.1', ttl: 1}).catch((e: unknown) => e)
    expect(explainCloudflareError(write, {doing: 'creating A x.example.com', need: 'dns-edit', zone: 'example.com'}).message).toBe(
      'The token lacks Zone:DNS:Edit on example.com: Cloudflare answered 403 (10000: Authentication error) when creating A x.example.com.',
    )

    const closed = await freePort([ADDRESS])
    const gone = await new CloudflareClient({baseUrl: `http://${ADDRESS}:${closed}/client/v4`, token: new Secret(TOKEN)}).listZones().catch((e: unknown) => e)
    expect(gone).toBeInstanceOf(CloudflareUnreachableError)
    const offline = explainCloudflareError(gone, {doing: 'listing the zones the token can see', need: 'zone-read', offlineHint: true})
    expect(offline.message).toMatch(new RegExp(`^Cannot reach Cloudflare's API at http://127\\.0\\.0\\.1:${closed}/client/v4 while listing the zones the token can see: ECONNREFUSED`))
    expect(offline.suggestion).toContain('--no-token-check')
  })
})

describe('checkCloudflareToken', () => {
  it('a good token: active, the zone visible, a marked TXT record made and removed', async () => {
    const before = api.calls().length
    const r = await checkCloudflareToken({token: new Secret(TOKEN), baseUrl: base, baseDomain: 'apps.example.com', machine: 'm1'})
    expect(r).toMatchObject({status: 'active', zone: 'example.com', checked: ['the token is active', 'the zone example.com is visible', 'it can create and delete records in example.com']})
    const writes = api.calls().slice(before).filter((c) => c.action === 'record-created' || c.action === 'record-deleted')
    expect(writes.map((c) => [c.action, c.type, c.name, c.comment])).toEqual([
      ['record-created', 'TXT', '_rdc-check.example.com', 'rdc token check (deleted at once)'],
      ['record-deleted', 'TXT', '_rdc-check.example.com', 'rdc token check (deleted at once)'],
    ])
    expect(api.records().filter((x) => x.name.startsWith('_rdc-check'))).toEqual([])
  })

  it('a check interrupted earlier left its record: the next one removes it', async () => {
    await cfCall(base, TOKEN, 'POST', `/zones/${api.zoneId('example.org')}/dns_records`, {type: 'TXT', name: '_rdc-check.example.org', content: '"old"', ttl: 60, comment: 'rdc token check (deleted at once)'})
    await checkCloudflareToken({token: new Secret(TOKEN), baseUrl: base, baseDomain: 'example.org'})
    expect(api.records().filter((x) => x.name.startsWith('_rdc-check'))).toEqual([])
  })

  it('fails with the reason and the fix: wrong, disabled, read-only, zone not visible', async () => {
    const check = (token: string, baseDomain = 'example.com'): Promise<CloudflareError> =>
      checkCloudflareToken({token: new Secret(token), baseUrl: base, baseDomain, machine: 'm1'}).then(
        () => {
          throw new Error(`the token ${token} was accepted`)
        },
        (e: CloudflareError) => e,
      )
    expect((await check('nope')).message).toMatch(/^Cloudflare refused the token while listing the zones/)
    expect((await check(DISABLED)).message).toBe('The Cloudflare token is disabled (machine m1).')
    const ro = await check(READ_ONLY)
    expect(ro.message).toBe('The token lacks Zone:DNS:Edit on example.com: Cloudflare answered 403 (10000: Authentication error) when creating a test TXT record _rdc-check.example.com.')
    expect(ro.exitCode).toBe(10)
    const zone = await check(ORG_ONLY)
    expect(zone.message).toBe('No Cloudflare zone for example.com is visible to the token (it sees only example.org at ' + base + "): the domain is not in the token's account, or the token's Zone Resources leave its zone out.")
    expect(zone.suggestion).toContain('Zone Resources including the zone of example.com')
    // Without a base domain only the token itself is checked.
    expect((await checkCloudflareToken({token: new Secret(ORG_ONLY), baseUrl: base})).checked).toEqual(['the token is active', 'it sees 1 zone (no base domain set: its zone is checked once one is)'])
  })
})
