/**
 * The dns services with plain options: several machines with routes of their own (a fake transport per machine)
 * in one zone of the Cloudflare DNS API stand-in; the route server's 503 while starting; push-infra's token checker.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {Secret} from '../../src/config/secret.js'
import {readMachineRoutes} from '../../src/dns/routes.js'
import {applyDns, checkDns, planDns} from '../../src/dns/service.js'
import {pushTokenChecker} from '../../src/dns/token-check.js'
import {ConflictError} from '../../src/errors.js'
import type {ExecResult, Transport} from '../../src/remote/transport.js'
import {startCloudflareDnsStandin, type CloudflareDnsStandin} from '../support/acme/cloudflare-standin.js'
import {freePort} from '../support/acme/free-port.js'
import {routesTransport, writeContext, type RouteSpec} from './support.js'

const TOKEN = 'cf-dns-service-token'
const ADDRESS = '127.0.0.1'
const noSink = {setTxt: async () => {}, setA: async () => {}, setAaaa: async () => {}}

let api: CloudflareDnsStandin
let dir: string
let config: string
const routes: Record<string, RouteSpec[]> = {}

const options = (machines: string[], extra: Partial<Parameters<typeof planDns>[0]> = {}) => ({
  machines,
  configPath: config,
  connect: async (name: string) => routesTransport(() => routes[name] ?? []),
  ...extra,
})
const infra = (ipv4: string, extra: Record<string, unknown> = {}) => ({publicIPv4: ipv4, cfDnsApiToken: TOKEN, proxyEnv: {CLOUDFLARE_BASE_URL: api.baseUrl(ADDRESS)}, ...extra})
const byOwner = (comment: string) => api.records().filter((r) => r.comment === comment).map((r) => `${r.type} ${r.name} ${r.content}`).sort()

beforeAll(async () => {
  api = await startCloudflareDnsStandin({addresses: [ADDRESS], port: await freePort([ADDRESS]), zones: ['example.com'], token: TOKEN, sink: noSink})
  dir = mkdtempSync(join(tmpdir(), 'rdc-dns-service-'))
  config = join(dir, 'config.yaml')
  for (const key of ['RDC_CONTEXT', 'RDC_MACHINE', 'RDC_CF_DNS_TOKEN']) delete process.env[key]
})
afterAll(async () => {
  await api?.stop()
  rmSync(dir, {recursive: true, force: true})
})
beforeEach(() => {
  for (const k of Object.keys(routes)) delete routes[k]
})

describe('two machines with routes of their own in one zone', () => {
  it('one name routed by both is an error naming both; nothing is written', async () => {
    writeContext(config, {m1: {infra: infra('203.0.113.1', {baseDomain: 'example.com'})}, m2: {infra: infra('203.0.113.2')}})
    routes.m1 = [{router: 'app', rule: 'Host(`app.example.com`)'}]
    routes.m2 = [{router: 'web', rule: 'Host(`app.example.com`)'}]
    const error = await planDns(options([], {all: true})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as Error).message).toBe('app.example.com is claimed by two machines: m1 (its route app) and m2 (its route web).')
    expect(api.calls().filter((c) => c.method !== 'GET')).toEqual([])
  })

  it('a name of m2 under m1’s wildcard gets m2’s own record; each keeps to its own records', async () => {
    writeContext(config, {m1: {infra: infra('203.0.113.1', {baseDomain: 'example.com'})}, m2: {infra: infra('203.0.113.2')}})
    routes.m1 = [{router: 'app', rule: 'Host(`app.example.com`)'}]
    routes.m2 = [{router: 'shop', rule: 'Host(`shop.example.com`)'}, {router: 'api', rule: 'Host(`api.shop.example.com`)'}]
    const {result, error} = await applyDns(options(['m1', 'm2']))
    expect(error).toBeUndefined()
    expect(result.changed).toBe(3)
    expect(byOwner('managed by rdc: lab/m1')).toEqual(['A *.example.com 203.0.113.1'])
    expect(byOwner('managed by rdc: lab/m2')).toEqual(['A api.shop.example.com 203.0.113.2', 'A shop.example.com 203.0.113.2'])

    // m2 drops a route: pruning m1 touches nothing of m2's; pruning m2 removes only its stale record.
    routes.m2 = [{router: 'shop', rule: 'Host(`shop.example.com`)'}]
    expect((await applyDns(options(['m1'], {prune: true}))).result.changed).toBe(0)
    const m2 = await checkDns(options(['m2'], {prune: true}))
    expect(m2.error?.exitCode).toBe(9)
    expect(m2.result.records.filter((r) => r.action === 'delete').map((r) => r.name)).toEqual(['api.shop.example.com'])
    await applyDns(options(['m2'], {prune: true}))
    expect(byOwner('managed by rdc: lab/m2')).toEqual(['A shop.example.com 203.0.113.2'])
    expect(byOwner('managed by rdc: lab/m1')).toEqual(['A *.example.com 203.0.113.1'])
  })

  it('m1 wanting a name m2’s record holds (m2 not planned): a conflict naming m2; --adopt takes it over', async () => {
    writeContext(config, {m1: {infra: infra('203.0.113.1', {baseDomain: 'example.com'})}, m2: {infra: infra('203.0.113.2')}})
    routes.m1 = [{router: 'shop', rule: 'Host(`shop.example.com`)'}]
    const plan = await planDns(options(['m1']))
    expect(plan.records.find((r) => r.action === 'conflict')).toMatchObject({name: 'shop.example.com', heldBy: 'lab/m2', reason: "*.example.com would answer it, but the zone has rdc's record for lab/m2 (A 203.0.113.2) at this name, so the wildcard does not; --adopt gives it records of its own"})
    await applyDns(options(['m1'], {adopt: true}))
    expect(byOwner('managed by rdc: lab/m1')).toEqual(['A *.example.com 203.0.113.1', 'A shop.example.com 203.0.113.1'])
  })
})

describe('reading routes', () => {
  it('the route server’s 503 while it starts is waited out', async () => {
    let calls = 0
    const t: Transport = {
      ...routesTransport(() => [{router: 'app', rule: 'Host(`app.example.com`)'}]),
      async exec(argv): Promise<ExecResult> {
        calls++
        if (calls < 3) return {code: 22, stdout: '', stderr: 'curl: (22) The requested URL returned error: 503'}
        return routesTransport(() => [{router: 'app', rule: 'Host(`app.example.com`) || Host(`www.example.com`)'}]).exec(argv)
      },
    }
    const r = await readMachineRoutes(t, 'm1', {sleep: async () => {}})
    expect(r).toEqual({routes: 1, hosts: [{name: 'app.example.com', routers: ['app']}, {name: 'www.example.com', routers: ['app']}]})
    const down: Transport = {...t, exec: async () => ({code: 7, stdout: '', stderr: 'curl: (7) Failed to connect to 127.0.0.1 port 7111'})}
    await expect(readMachineRoutes(down, 'm1')).rejects.toThrow('The route server on m1 did not answer on 127.0.0.1:7111 (exit 7: curl: (7) Failed to connect to 127.0.0.1 port 7111), so its routes\' names are unknown.')
  })
})

describe("push-infra's token checker", () => {
  it('checks once per API, token and base domain in one run', async () => {
    const check = pushTokenChecker()
    const settings = {baseDomain: 'example.com', proxyEnv: {CLOUDFLARE_BASE_URL: api.baseUrl(ADDRESS)}}
    const before = api.calls().filter((c) => c.action === 'record-created').length
    const [a, b] = await Promise.all([check('m1', settings, new Secret(TOKEN)), check('m2', settings, new Secret(TOKEN))])
    expect(a).toBe(b)
    expect(a.zone).toBe('example.com')
    expect(api.calls().filter((c) => c.action === 'record-created').length - before).toBe(1)
    await expect(check('m3', settings, new Secret('wrong'))).rejects.toMatchObject({kind: 'cloudflare', exitCode: 10})
  })
})
