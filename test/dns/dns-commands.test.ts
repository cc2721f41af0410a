/**
 * `rdc dns plan|apply|check` and the token check of set-infra, through the CLI with a temp context file, against
 * the Cloudflare DNS API stand-in whose records challtestsrv serves (resolved here for real through the lab's
 * resolver). "The machine" is this one, reached through a local sshd; its route server is a stand-in on
 * 127.0.0.1:7111 serving the routes each test sets.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Resolver} from 'node:dns/promises'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {startDnsLab, type DnsLab} from '../support/acme/dns-lab.js'
import {freePort} from '../support/acme/free-port.js'
import {cli} from '../lab/index.js'
import {startLocalSshd, type LocalSshd} from '../support/local-sshd.js'
import {startRouteServer, writeContext, type RouteServer, type RouteSpec} from './support.js'

const TOKEN = 'cf-dns-cmd-token-0123456789'
const READ_ONLY = 'cf-dns-cmd-read-only-token'
const ORG_ONLY = 'cf-dns-cmd-example-org-only'
const ADDRESS = '127.0.0.71'
const M1 = {ipv4: '198.51.100.10', ipv6: '2001:db8::10'}
const M2 = {ipv4: '198.51.100.20', ipv6: '2001:db8::20'}
const MARK1 = 'managed by rdc: lab/m1'
const MARK2 = 'managed by rdc: lab/m2'

const ROUTES: RouteSpec[] = [
  {router: 'app', rule: 'Host(`app.example.com`)'},
  {router: 'api', rule: 'Host(`deep.api.example.com`)'},
  {router: 'shop', rule: 'Host(`shop.example.org`) || Host(`www.shop.example.org`)'},
  {router: 'mail', protocol: 'tcp', rule: 'HostSNI(`imap.example.org`)'},
  {router: 'outside', rule: 'Host(`app.elsewhere.test`)'},
]

let lab: DnsLab
let sshd: LocalSshd
let router: RouteServer
let dir: string
let config: string
const saved = {...process.env}

function machine(spec: {ipv4: string; ipv6?: string}, infra: Record<string, unknown> = {}) {
  return {
    host: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    privateKeyPath: sshd.clientKeyPath,
    hostKey: sshd.hostKey,
    infra: {publicIPv4: spec.ipv4, ...(spec.ipv6 ? {publicIPv6: spec.ipv6} : {}), cfDnsApiToken: TOKEN, proxyEnv: {CLOUDFLARE_BASE_URL: lab.cloudflareBaseUrl()}, ...infra},
  }
}

function oneMachine(infra: Record<string, unknown> = {}): void {
  writeContext(config, {m1: machine(M1, {baseDomain: 'example.com', ...infra})})
}

async function resolve(name: string, type: 'A' | 'AAAA'): Promise<string[]> {
  const r = new Resolver({timeout: 2000, tries: 1})
  r.setServers([lab.resolver()])
  return (type === 'A' ? r.resolve4(name) : r.resolve6(name)).catch(() => [])
}

const writes = (since: number) => lab.calls().slice(since).filter((c) => c.method !== 'GET')
const ours = (marker = MARK1) => lab.records().filter((r) => r.comment === marker).map((r) => `${r.type} ${r.name} ${r.content}`).sort()

beforeAll(async () => {
  lab = await startDnsLab({addresses: [ADDRESS], zones: ['example.com', 'example.org'], token: TOKEN, dnsPort: 0, tokens: {[READ_ONLY]: {access: 'read'}, [ORG_ONLY]: {access: 'edit', zones: ['example.org']}}})
  dir = mkdtempSync(join(tmpdir(), 'rdc-dns-cmd-'))
  sshd = await startLocalSshd({root: join(dir, 'sshd'), port: await freePort(['127.0.0.1'])})
  router = await startRouteServer(ROUTES)
  config = join(dir, 'config.yaml')
  process.env.RDC_CONFIG = config
  for (const key of ['RDC_CONTEXT', 'RDC_MACHINE', 'RDC_CF_DNS_TOKEN']) delete process.env[key]
})

afterAll(async () => {
  process.env = saved
  await router?.stop()
  await sshd?.stop()
  await lab?.stop()
  rmSync(dir, {recursive: true, force: true})
})

beforeEach(() => {
  router.set(ROUTES)
  delete process.env.RDC_CF_DNS_TOKEN
})
afterEach(() => {
  delete process.env.RDC_CF_DNS_TOKEN
})

describe('rdc dns on an empty zone', () => {
  it('plan shows the wildcard and the names it does not cover, changes nothing; check exits 9', async () => {
    oneMachine()
    const since = lab.calls().length
    const plan = await cli(['dns', 'plan', 'm1', '--json'])
    expect(plan.code, plan.stdout + plan.stderr).toBe(0)
    expect(plan.json.records.map((r: any) => `${r.action} ${r.type} ${r.name} ${r.content ?? ''}`.trim())).toEqual([
      `create A *.example.com ${M1.ipv4}`,
      `create AAAA *.example.com ${M1.ipv6}`,
      `create A deep.api.example.com ${M1.ipv4}`,
      `create AAAA deep.api.example.com ${M1.ipv6}`,
      `create A imap.example.org ${M1.ipv4}`,
      `create AAAA imap.example.org ${M1.ipv6}`,
      `create A shop.example.org ${M1.ipv4}`,
      `create AAAA shop.example.org ${M1.ipv6}`,
      `create A www.shop.example.org ${M1.ipv4}`,
      `create AAAA www.shop.example.org ${M1.ipv6}`,
      `unmanaged A app.elsewhere.test ${M1.ipv4}`,
      `unmanaged AAAA app.elsewhere.test ${M1.ipv6}`,
    ])
    expect(plan.json.machines[0]).toMatchObject({machine: 'm1', api: lab.cloudflareBaseUrl(), wildcard: '*.example.com', routes: 5})
    expect(plan.json.machines[0].hosts.find((h: any) => h.name === 'app.example.com')).toEqual({name: 'app.example.com', routers: ['app'], wildcard: '*.example.com'})
    expect(plan.json).toMatchObject({inSync: false, counts: {create: 10, unmanaged: 2, keep: 0}})
    expect(writes(since)).toEqual([])
    expect(plan.stdout).not.toContain(TOKEN)

    const human = await cli(['dns', 'plan', 'm1'])
    expect(human.stdout).toMatch(/^m1: wildcard \*\.example\.com \(automatic routes\); 5 routes, 6 names \(1 answered by the wildcard, 5 with records of their own\); API http:\/\/127\.0\.0\.71:\d+\/client\/v4$/m)
    expect(human.stdout).toMatch(/^\s+\+\s+create\s+A\s+\*\.example\.com\s+198\.51\.100\.10\s+wildcard for the automatic routes of m1$/m)
    expect(human.stdout).toContain('Plan: 10 to create, 0 to change, 0 to remove, 0 up to date, 2 outside the token\'s zones.')

    const check = await cli(['dns', 'check', 'm1'])
    expect(check.code).toBe(9)
    expect(check.stderr).toContain('Cloudflare differs from the plan: 10 missing.')
    const checkJson = await cli(['dns', 'check', 'm1', '--json'])
    expect([checkJson.code, checkJson.json.counts.create]).toEqual([9, 10])
  })

  it('apply makes them DNS-only and marked; DNS answers them (the wildcard too); apply again changes nothing; check exits 0', async () => {
    oneMachine()
    const apply = await cli(['dns', 'apply', 'm1', '--json'])
    expect(apply.code, apply.stdout + apply.stderr).toBe(0)
    expect(apply.json).toMatchObject({changed: 10})
    expect(ours()).toHaveLength(10)
    expect(lab.records().every((r) => r.proxied === false && r.ttl === 1)).toBe(true)
    expect(await resolve('app.example.com', 'A')).toEqual([M1.ipv4])
    expect(await resolve('app.example.com', 'AAAA')).toEqual([M1.ipv6])
    expect(await resolve('shop.example.org', 'A')).toEqual([M1.ipv4])
    expect(await resolve('deep.api.example.com', 'AAAA')).toEqual([M1.ipv6])

    const since = lab.calls().length
    const again = await cli(['dns', 'apply', 'm1'])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('Applied: 0 changes made at Cloudflare (0 created, 0 changed, 0 removed), 10 already up to date.')
    expect(writes(since)).toEqual([])
    expect((await cli(['dns', 'check', 'm1'])).code).toBe(0)
  })
})

describe('rdc dns with records it did not make', () => {
  it('a foreign record holds a name: reported, not overwritten (exit 8); --adopt takes it over', async () => {
    oneMachine()
    const foreignA = await lab.createRecord('example.com', {type: 'A', name: 'www.example.com', content: '192.0.2.80'})
    const foreignCname = await lab.createRecord('example.org', {type: 'CNAME', name: 'mail.example.org', content: 'mx.provider.test'})
    router.set([...ROUTES, {router: 'www', rule: 'Host(`www.example.com`)'}, {router: 'webmail', rule: 'Host(`mail.example.org`)'}])
    const apply = await cli(['dns', 'apply', 'm1', '--json'])
    expect(apply.code).toBe(8)
    expect(apply.json.error).toMatchObject({kind: 'conflict', exitCode: 8, message: '2 names are held by records rdc did not make for m1 and were left alone: mail.example.org, www.example.com.'})
    expect(apply.json.records.filter((r: any) => r.action === 'conflict').map((r: any) => [r.type, r.name, r.heldBy])).toEqual([
      ['A', 'www.example.com', 'foreign'],
      ['CNAME', 'mail.example.org', 'foreign'],
    ])
    expect(lab.records().find((r) => r.id === foreignA.id)).toMatchObject({content: '192.0.2.80', comment: null})
    expect(lab.records().find((r) => r.id === foreignCname.id)).toMatchObject({content: 'mx.provider.test'})
    expect(await resolve('www.example.com', 'A')).toEqual(['192.0.2.80'])

    const human = await cli(['dns', 'plan', 'm1'])
    expect(human.stdout).toMatch(/!\s+conflict\s+A\s+www\.example\.com\s+192\.0\.2\.80\s+\*\.example\.com would answer it, but the zone has a record rdc did not make \(A 192\.0\.2\.80\) at this name/)

    const adopt = await cli(['dns', 'apply', 'm1', '--adopt', '--json'])
    expect(adopt.code, adopt.stdout).toBe(0)
    expect(lab.records().find((r) => r.id === foreignA.id)).toMatchObject({content: M1.ipv4, comment: MARK1, proxied: false})
    expect(lab.records().some((r) => r.id === foreignCname.id)).toBe(false)
    expect(ours().filter((l) => l.includes('mail.example.org'))).toEqual([`A mail.example.org ${M1.ipv4}`, `AAAA mail.example.org ${M1.ipv6}`])
    expect(await resolve('www.example.com', 'A')).toEqual([M1.ipv4])
    expect((await cli(['dns', 'check', 'm1'])).code).toBe(0)
  })

  it('a record of ours switched to proxied is reported (check exits 9) and switched back by apply', async () => {
    oneMachine()
    const wildcard = lab.records().find((r) => r.name === '*.example.com' && r.type === 'A')!
    await lab.updateRecord('example.com', wildcard.id, {proxied: true})
    expect(await resolve('app.example.com', 'A')).toEqual(['104.16.0.1'])
    const check = await cli(['dns', 'check', 'm1', '--json'])
    expect(check.code).toBe(9)
    expect(check.json.records.find((r: any) => r.action === 'update')).toMatchObject({name: '*.example.com', type: 'A', current: {proxied: true}, reason: expect.stringContaining('was switched to proxied: back to DNS only')})
    expect((await cli(['dns', 'apply', 'm1'])).code).toBe(0)
    expect(lab.records().find((r) => r.id === wildcard.id)).toMatchObject({proxied: false, content: M1.ipv4})
    expect(await resolve('app.example.com', 'A')).toEqual([M1.ipv4])
  })

  it('records no route needs any more stay until apply --prune; foreign records are never pruned', async () => {
    oneMachine()
    router.set(ROUTES.filter((r) => r.router !== 'shop'))
    const plan = await cli(['dns', 'plan', 'm1', '--json'])
    // Ordered by zone, then name: the names the previous test adopted for its routes are no longer routed either.
    expect(plan.json.records.filter((r: any) => r.action === 'stale').map((r: any) => `${r.type} ${r.name}`)).toEqual([
      'A www.example.com', 'AAAA www.example.com',
      'A mail.example.org', 'AAAA mail.example.org', 'A shop.example.org', 'AAAA shop.example.org', 'A www.shop.example.org', 'AAAA www.shop.example.org',
    ])
    expect((await cli(['dns', 'check', 'm1'])).code).toBe(0)
    expect((await cli(['dns', 'check', 'm1', '--prune'])).code).toBe(9)
    expect((await cli(['dns', 'apply', 'm1'])).code).toBe(0)
    expect(ours().filter((l) => l.includes('shop.example.org'))).toHaveLength(4)
    const foreign = await lab.createRecord('example.org', {type: 'A', name: 'legacy.example.org', content: '192.0.2.7', comment: 'made by hand'})
    const pruned = await cli(['dns', 'apply', 'm1', '--prune', '--json'])
    expect(pruned.code).toBe(0)
    expect(pruned.json.counts.delete).toBe(8)
    expect(ours().filter((l) => /shop\.example\.org|www\.example\.com|mail\.example\.org/.test(l))).toEqual([])
    expect(lab.records().some((r) => r.id === foreign.id)).toBe(true)
    expect(await resolve('shop.example.org', 'A')).toEqual([])
  })
})

describe('rdc dns: Cloudflare refusals in plain words', () => {
  it('a wrong token: exit 10, the fix names the permissions and the zone', async () => {
    oneMachine()
    process.env.RDC_CF_DNS_TOKEN = 'not-the-token'
    const r = await cli(['dns', 'plan', 'm1', '--json'])
    expect(r.code).toBe(10)
    expect(r.json.error).toMatchObject({kind: 'cloudflare', exitCode: 10, message: 'Cloudflare refused the token while listing the zones the token can see: it answered 403 (9109: Invalid access token). The token is wrong, expired or revoked.'})
    expect(r.json.error.suggestion).toContain('Zone › Zone › Read and Zone › DNS › Edit')
    expect(r.stdout).not.toContain('not-the-token')
  })

  it('a read-only token: plan works, apply stops at the first write naming Zone:DNS:Edit and the zone (exit 10)', async () => {
    oneMachine()
    router.set([{router: 'new', rule: 'Host(`new.deep.example.com`)'}])
    process.env.RDC_CF_DNS_TOKEN = READ_ONLY
    expect((await cli(['dns', 'plan', 'm1', '--json'])).json.counts.create).toBe(2)
    const before = lab.records().length
    const r = await cli(['dns', 'apply', 'm1', '--json'])
    expect(r.code).toBe(10)
    expect(r.json.changed).toBe(0)
    expect(r.json.error.message).toBe('The token lacks Zone:DNS:Edit on example.com: Cloudflare answered 403 (10000: Authentication error) when creating A new.deep.example.com. No change was made.')
    expect(lab.records().length).toBe(before)
    const human = await cli(['dns', 'apply', 'm1'])
    expect(human.code).toBe(10)
    expect(human.stderr).toContain('The token lacks Zone:DNS:Edit on example.com')
  })

  it('the zone is not visible to the token: exit 10 before anything', async () => {
    oneMachine()
    process.env.RDC_CF_DNS_TOKEN = ORG_ONLY
    const r = await cli(['dns', 'plan', 'm1', '--json'])
    expect(r.code).toBe(10)
    expect(r.json.error.message).toMatch(/^No Cloudflare zone for example\.com is visible to the token \(it sees only example\.org at /)
  })

  it('429 answers are waited out (Retry-After) and retried; when they go on, exit 10 says so', async () => {
    oneMachine()
    router.set([])
    lab.rateLimit(2, 1)
    const started = Date.now()
    const ok = await cli(['dns', 'check', 'm1', '--json'])
    expect(ok.code, ok.stdout).toBe(0)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000)
    expect(lab.calls().filter((c) => c.action === 'rate-limited')).toHaveLength(2)
    lab.rateLimit(50, 0)
    const limited = await cli(['dns', 'plan', 'm1', '--json'])
    lab.rateLimit(0)
    expect(limited.code).toBe(10)
    expect(limited.json.error.message).toMatch(/^Cloudflare's rate limit held after retries while listing the zones the token can see/)
  })

  it('no token, no address, an unknown machine: usage errors before anything is read', async () => {
    writeContext(config, {m1: {...machine(M1, {baseDomain: 'example.com'}), infra: {publicIPv4: M1.ipv4, baseDomain: 'example.com'}}})
    const noToken = await cli(['dns', 'plan', 'm1', '--json'])
    expect([noToken.code, noToken.json.error.kind]).toEqual([2, 'usage'])
    expect(noToken.json.error.message).toBe('m1 has no Cloudflare token, so rdc cannot read or change its zone.')
    expect((await cli(['dns', 'plan', 'm9', '--json'])).code).toBe(4)
    expect((await cli(['dns', 'plan', 'm1', '--all', '--json'])).code).toBe(2)
  })
})

describe('rdc dns with two machines in one zone', () => {
  it('each machine’s records carry its marker; applying or pruning one leaves the other’s alone', async () => {
    router.set([])
    writeContext(config, {m1: machine(M1, {baseDomain: 'example.com'}), m2: machine(M2, {baseDomain: 'm2.example.com'})})
    const all = await cli(['dns', 'apply', '--all', '--prune', '--json'])
    expect(all.code, all.stdout).toBe(0)
    expect(ours(MARK2)).toEqual([`A *.m2.example.com ${M2.ipv4}`, `AAAA *.m2.example.com ${M2.ipv6}`])
    expect(ours(MARK1)).toEqual([`A *.example.com ${M1.ipv4}`, `AAAA *.example.com ${M1.ipv6}`])
    expect(await resolve('web.m2.example.com', 'A')).toEqual([M2.ipv4])
    expect(await resolve('web.example.com', 'A')).toEqual([M1.ipv4])

    const m1 = await cli(['dns', 'apply', 'm1', '--prune', '--json'])
    expect(m1.json.counts).toMatchObject({delete: 0, keep: 2})
    expect(ours(MARK2)).toHaveLength(2)
  })

  it('two machines claiming one name is an error naming both (exit 8), before anything is read', async () => {
    writeContext(config, {m1: machine(M1, {baseDomain: 'example.com'}), m2: machine(M2, {baseDomain: 'example.com'})})
    const since = lab.calls().length
    const r = await cli(['dns', 'plan', 'm1', '--json'])
    expect(r.code).toBe(8)
    expect(r.json.error.message).toBe('*.example.com is claimed by two machines: m1 (its base domain example.com) and m2 (its base domain example.com).')
    expect(r.json.error.suggestion).toBe('Give each machine a base domain of its own, e.g. rdc context set-infra m2 --base-domain m2.example.com, then push-infra.')
    expect(lab.calls().length).toBe(since)
  })
})

describe('set-infra --cf-dns-token checks the token before storing it', () => {
  beforeEach(() => {
    writeContext(config, {m1: {...machine(M1), infra: {publicIPv4: M1.ipv4, baseDomain: 'example.com', proxyEnv: {CLOUDFLARE_BASE_URL: lab.cloudflareBaseUrl()}}}})
  })

  it('a good token: checked (a test TXT record made and removed), then stored', async () => {
    const since = lab.calls().length
    const r = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', TOKEN, '--json'])
    expect(r.code, r.stdout).toBe(0)
    expect(r.json.tokenCheck).toMatchObject({status: 'active', zone: 'example.com', checked: ['the token is active', 'the zone example.com is visible', 'it can create and delete records in example.com']})
    expect(writes(since).map((c) => `${c.method} ${c.type} ${c.name}`)).toEqual(['POST TXT _rdc-check.example.com', 'DELETE TXT _rdc-check.example.com'])
    expect(readFileSync(config, 'utf8')).toContain(`cfDnsApiToken: ${TOKEN}`)
    expect(r.stdout).not.toContain(TOKEN)
    const human = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', TOKEN])
    expect(human.stdout).toContain('Cloudflare token checked: the token is active, the zone example.com is visible, it can create and delete records in example.com.')
  })

  it('a wrong or read-only token, or one that cannot see the zone: exit 10 with the fix, nothing stored', async () => {
    const before = readFileSync(config, 'utf8')
    const wrong = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', 'wrong-token', '--json'])
    expect([wrong.code, wrong.json.error.kind]).toEqual([10, 'cloudflare'])
    expect(wrong.stdout).not.toContain('wrong-token')
    const ro = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', READ_ONLY, '--json'])
    expect(ro.json.error.message).toBe('The token lacks Zone:DNS:Edit on example.com: Cloudflare answered 403 (10000: Authentication error) when creating a test TXT record _rdc-check.example.com.')
    expect(ro.json.error.suggestion).toContain('rdc context set-infra m1 --cf-dns-token -')
    const zone = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', ORG_ONLY, '--json'])
    expect(zone.json.error.message).toMatch(/^No Cloudflare zone for example\.com is visible to the token/)
    // A base domain given in the same command is the one checked.
    const org = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', ORG_ONLY, '--base-domain', 'apps.example.org', '--json'])
    expect(org.code, org.stdout).toBe(0)
    expect(org.json.tokenCheck.zone).toBe('example.org')
    writeContext(config, {m1: {...machine(M1), infra: {publicIPv4: M1.ipv4, baseDomain: 'example.com', proxyEnv: {CLOUDFLARE_BASE_URL: lab.cloudflareBaseUrl()}}}})
    expect(readFileSync(config, 'utf8')).toBe(before)
  })

  it('--no-token-check stores any token without asking Cloudflare (offline work); an unreachable API says so', async () => {
    const since = lab.calls().length
    const r = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', 'offline-token', '--no-token-check', '--json'])
    expect(r.code).toBe(0)
    expect(r.json.tokenCheck).toBeUndefined()
    expect(lab.calls().length).toBe(since)
    const port = await freePort(['127.0.0.1'])
    const gone = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', TOKEN, '--proxy-env', `CLOUDFLARE_BASE_URL=http://127.0.0.1:${port}/client/v4`, '--json'])
    expect(gone.code).toBe(10)
    expect(gone.json.error.message).toMatch(/^Cannot reach Cloudflare's API at http:\/\/127\.0\.0\.1:\d+\/client\/v4 while verifying the token: ECONNREFUSED/)
    expect(gone.json.error.suggestion).toContain('for offline work, run with --no-token-check')
  })
})
