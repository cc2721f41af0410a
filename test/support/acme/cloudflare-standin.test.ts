import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cfCall, type CfRecord} from './cloudflare-client.js'
import {queryDns, TYPE} from './dns-wire.js'
import {startAcmeLab, type AcmeLab} from './lab.js'

const TOKEN = 'cf-standin-test-token-0123456789abcdef'
const ADDRESS = '127.0.0.171'
let lab: AcmeLab
let base: string
let zoneId: string

beforeAll(async () => {
  lab = await startAcmeLab({addresses: [ADDRESS], zones: ['example.com', 'example.org'], token: TOKEN, dnsPort: 0})
  base = lab.cloudflareBaseUrl()
  zoneId = lab.zoneId('example.com')
})

afterAll(async () => {
  await lab?.stop()
})

const txtAt = async (server: string, name: string): Promise<string[]> =>
  (await queryDns(server, name, TYPE.TXT)).answers.map((a) => (a.data as string[]).join(''))

describe('the Cloudflare API stand-in', () => {
  it('serves under /client/v4, the path lego expects CLOUDFLARE_BASE_URL to include', () => {
    expect(base).toMatch(new RegExp(`^http://${ADDRESS.replaceAll('.', '\\.')}:\\d+/client/v4$`))
  })

  it('finds a zone by name in Cloudflare\'s envelope, as lego asks for it (name=, per_page=50)', async () => {
    const r = await cfCall<Array<{id: string; name: string; status: string; name_servers: string[]}>>(base, TOKEN, 'GET', '/zones?name=example.com&per_page=50')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({success: true, errors: [], messages: [], result_info: {page: 1, per_page: 50, count: 1, total_count: 1, total_pages: 1}})
    expect(r.body.result).toHaveLength(1)
    expect(r.body.result[0]).toMatchObject({id: zoneId, name: 'example.com', status: 'active', name_servers: ['ns1.cf-standin.test', 'ns2.cf-standin.test']})
    expect(zoneId).toMatch(/^[0-9a-f]{32}$/)
  })

  it('answers an unknown zone with an empty list, not an error', async () => {
    const r = await cfCall<unknown[]>(base, TOKEN, 'GET', '/zones?name=nope.test&per_page=50')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({success: true, result: [], result_info: {count: 0, total_count: 0}})
  })

  it.each([
    ['no Authorization header', undefined, 400, {code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers'}, 'missing'],
    ['another token', 'not-the-token', 403, {code: 9109, message: 'Invalid access token'}, 'wrong'],
    ['a header that is not "Bearer <token>"', 'has spaces in it', 400, {code: 6003, message: 'Invalid request headers'}, 'malformed'],
  ])('refuses %s the way Cloudflare does', async (_what, token, status, error, auth) => {
    const before = lab.calls().length
    const r = await cfCall(base, token, 'GET', '/zones?name=example.com')
    expect(r.status).toBe(status)
    expect(r.body).toMatchObject({success: false, messages: [], result: null})
    expect(r.body.errors[0]).toMatchObject(error)
    const call = lab.calls()[before]
    expect(call).toMatchObject({method: 'GET', path: '/client/v4/zones?name=example.com', token: auth, status})
    expect(call!.token === 'main').toBe(false)
  })

  it('verifies its token at /user/tokens/verify and refuses another with 401 1000', async () => {
    const ok = await cfCall<{status: string}>(base, TOKEN, 'GET', '/user/tokens/verify')
    expect(ok.status).toBe(200)
    expect(ok.body.result.status).toBe('active')
    expect(ok.body.messages).toEqual([expect.objectContaining({code: 10000, message: 'This API Token is valid and active'})])
    const bad = await cfCall(base, 'other', 'GET', '/user/tokens/verify')
    expect(bad.status).toBe(401)
    expect(bad.body.errors).toEqual([{code: 1000, message: 'Invalid API Token'}])
  })

  it('a TXT record lego creates reaches challtestsrv (what Pebble reads) and the DNS front; deleting it removes it from both', async () => {
    const name = '_acme-challenge.app.example.com'
    const created = await cfCall<CfRecord>(base, TOKEN, 'POST', `/zones/${zoneId}/dns_records`, {type: 'TXT', name, content: '"token-value-1"', ttl: 120})
    expect(created.status).toBe(200)
    expect(created.body.result).toMatchObject({type: 'TXT', name, content: '"token-value-1"', ttl: 120, zone_id: zoneId, zone_name: 'example.com'})
    expect(created.body.result.id).toMatch(/^[0-9a-f]{32}$/)
    expect(await txtAt(lab.challtestsrv.dns, name)).toEqual(['token-value-1'])
    expect(await txtAt(lab.resolver(), name)).toEqual(['token-value-1'])

    const deleted = await cfCall<{id: string}>(base, TOKEN, 'DELETE', `/zones/${zoneId}/dns_records/${created.body.result.id}`)
    expect(deleted.status).toBe(200)
    expect(deleted.body).toMatchObject({success: true, result: {id: created.body.result.id}})
    expect(await txtAt(lab.challtestsrv.dns, name)).toEqual([])
    expect(await txtAt(lab.resolver(), name)).toEqual([])

    const log = lab.calls().filter((c) => c.name === name)
    expect(log.map((c) => [c.method, c.action, c.type, c.content, c.token === 'main'])).toEqual([
      ['POST', 'record-created', 'TXT', '"token-value-1"', true],
      ['DELETE', 'record-deleted', 'TXT', '"token-value-1"', true],
    ])
  })

  it('keeps two TXT values of one name (two challenges at once) and deleting one keeps the other', async () => {
    const name = '_acme-challenge.two.example.com'
    const a = await lab.createRecord('example.com', {type: 'TXT', name, content: '"first"'})
    const b = await lab.createRecord('example.com', {type: 'TXT', name, content: '"second"'})
    expect((await txtAt(lab.challtestsrv.dns, name)).sort()).toEqual(['first', 'second'])
    await lab.deleteRecord('example.com', a.id)
    expect(await txtAt(lab.resolver(), name)).toEqual(['second'])
    await lab.deleteRecord('example.com', b.id)
    expect(await txtAt(lab.resolver(), name)).toEqual([])
  })

  it('A and AAAA records are answered by the front (relative names get the zone appended, as Cloudflare does)', async () => {
    const a = await lab.createRecord('example.com', {type: 'A', name: 'web', content: '198.51.100.7'})
    const aaaa = await lab.createRecord('example.com', {type: 'AAAA', name: 'web.example.com', content: '2001:db8::7'})
    expect(a.name).toBe('web.example.com')
    expect((await queryDns(lab.resolver(), 'web.example.com', TYPE.A)).answers.map((r) => r.data)).toEqual(['198.51.100.7'])
    expect((await queryDns(lab.resolver(), 'WEB.example.com', TYPE.AAAA)).answers.map((r) => r.data)).toEqual(['2001:db8::7'])
    await lab.deleteRecord('example.com', a.id)
    await lab.deleteRecord('example.com', aaaa.id)
    expect((await queryDns(lab.resolver(), 'web.example.com', TYPE.A)).answers).toEqual([])
  })

  it('lists records with ?type= and ?name=, per zone', async () => {
    const t = await lab.createRecord('example.com', {type: 'TXT', name: 'list.example.com', content: '"x"'})
    const a = await lab.createRecord('example.com', {type: 'A', name: 'list.example.com', content: '192.0.2.9'})
    const o = await lab.createRecord('example.org', {type: 'TXT', name: 'list.example.org', content: '"y"'})
    const list = async (q: string): Promise<string[]> => (await cfCall<CfRecord[]>(base, TOKEN, 'GET', `/zones/${zoneId}/dns_records${q}`)).body.result.map((r) => `${r.type} ${r.name}`)
    expect(await list('?type=TXT&name=list.example.com')).toEqual(['TXT list.example.com'])
    expect((await list('?name=list.example.com')).sort()).toEqual(['A list.example.com', 'TXT list.example.com'])
    expect(await list('?type=AAAA')).toEqual([])
    for (const r of [t, a]) await lab.deleteRecord('example.com', r.id)
    await lab.deleteRecord('example.org', o.id)
  })

  it('answers an unknown zone id and an unknown record id with Cloudflare\'s errors', async () => {
    const noZone = await cfCall(base, TOKEN, 'POST', '/zones/0123456789abcdef0123456789abcdef/dns_records', {type: 'TXT', name: 'x', content: 'y'})
    expect(noZone.status).toBe(404)
    expect(noZone.body.errors.map((e) => e.code)).toEqual([7003, 7000])
    const noRecord = await cfCall(base, TOKEN, 'DELETE', `/zones/${zoneId}/dns_records/0123456789abcdef0123456789abcdef`)
    expect(noRecord.status).toBe(404)
    expect(noRecord.body.errors).toEqual([{code: 81044, message: 'Record does not exist.'}])
  })

  it('refuses record types it does not keep and addresses that are not addresses', async () => {
    const mx = await cfCall(base, TOKEN, 'POST', `/zones/${zoneId}/dns_records`, {type: 'MX', name: 'm', content: 'mail.example.com'})
    expect(mx.status).toBe(400)
    const badA = await cfCall(base, TOKEN, 'POST', `/zones/${zoneId}/dns_records`, {type: 'A', name: 'm', content: 'not-an-ip'})
    expect(badA.status).toBe(400)
    expect(badA.body.errors[0].code).toBe(9005)
  })

  it('never writes the token into its log', () => {
    expect(lab.calls().length).toBeGreaterThan(10)
    expect(JSON.stringify(lab.calls())).not.toContain(TOKEN)
  })
})
