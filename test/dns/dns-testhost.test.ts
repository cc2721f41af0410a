/**
 * `rdc dns` end to end on a real test host with the real Traefik: the machine's Cloudflare API (its proxy
 * environment's CLOUDFLARE_BASE_URL) is the DNS lab's stand-in, which both lego (DNS-01 TXT records) and rdc (A/AAAA
 * records) use, its records served by challtestsrv. The guide's complete example answers https://app.example.com/
 * with the name resolved through the records `rdc dns apply` made; `repo up --dns` gives a new Host() its record;
 * diagnose says what Cloudflare holds; push-infra refuses a token Cloudflare refuses.
 */
import {Resolver} from 'node:dns/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startDnsLab, type DnsLab} from '../support/acme/dns-lab.js'
import {acmeInfraFlags, deploy, ensureBuilt, importImageIntoRepoDaemon, type Lab, MACHINE, newLab, setUpMachine, untilCertificate, useZoneResolver, writeAcmeCaFile} from '../lab/index.js'
import {httpsGet} from '../support/traffic.js'
import {until} from '../support/wait.js'
import {BUSYBOX_IMAGE, loadBusyboxImage, startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'

const TOKEN = 'cf-token-dns-testhost'
const APP = 'app.example.com'
const DEEP = 'deep.api.example.com'
const MARK = `managed by rdc: lab/${MACHINE}`

let host: TestHost
let dns: DnsLab
let lab: Lab
let pebbleRoot: string

async function resolve(name: string, type: 'A' | 'AAAA'): Promise<string[]> {
  const r = new Resolver({timeout: 2000, tries: 1})
  r.setServers([dns.resolver()])
  return (type === 'A' ? r.resolve4(name) : r.resolve6(name)).catch(() => [])
}

/**
 * What a record resolves to once it is served, or [] when it never is. Two waits hide in it: the stand-in hands
 * records to its name servers just after answering the API, as Cloudflare's do; and while lego's
 * `_acme-challenge.<name>` TXT record exists (≥ 10 s: the propagation delay), `<name>` is an empty non-terminal,
 * which the wildcard does not answer (RFC 4592). Bounded at 45 s, past one issuance.
 */
async function untilResolved(name: string, type: 'A' | 'AAAA'): Promise<string[]> {
  let answer: string[] = []
  await until(async () => (answer = await resolve(name, type)).length > 0, `${name} ${type} to be served`, {timeoutMs: 45_000, intervalMs: 200}).catch(() => undefined)
  return answer
}


beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  dns = await startDnsLab({addresses: [host.peer, host.peer6], zones: ['example.com'], token: TOKEN})
  await useZoneResolver(host, dns.acme)
  lab = newLab()
  const caFile = writeAcmeCaFile(dns.acme, join(lab.dir, 'acme-ca.pem'))
  pebbleRoot = dns.acme.pebbleRootPem()
  await loadBusyboxImage(host)
  // The token is checked by set-infra and push-infra against the stand-in named by CLOUDFLARE_BASE_URL.
  await setUpMachine(lab, host, {
    infra: ['--cert-email', 'admin@example.com', '--cf-dns-token', TOKEN, ...acmeInfraFlags(dns.acme, host, caFile, dns.cloudflareBaseUrl(host.peer))],
  })
  await deploy(lab, host, 'webapp', {images: [BUSYBOX_IMAGE]})
}, 300_000)

afterAll(async () => {
  await dns?.stop()
  lab?.cleanup()
  await stopTestHosts()
})

describe('rdc dns on a real machine', () => {
  it('set-infra and push-infra checked the token: a marked _rdc-check TXT record made and removed at each', () => {
    const checks = dns.calls().filter((c) => c.name === '_rdc-check.example.com')
    expect(checks.map((c) => c.method)).toEqual(['POST', 'DELETE', 'POST', 'DELETE'])
    expect(checks.every((c) => c.comment === 'rdc token check (deleted at once)' && c.status === 200)).toBe(true)
    expect(dns.records().filter((r) => r.name.startsWith('_rdc-check'))).toEqual([])
  })

  it('apply makes the wildcard from the routes read on the machine; https://app.example.com/ answers at the address DNS gives', async () => {
    expect(await resolve(APP, 'A')).toEqual([])
    const apply = await lab.cli(['dns', 'apply', MACHINE, '--json'])
    expect(apply.code, apply.stdout + apply.stderr).toBe(0)
    expect(apply.json.machines[0].hosts).toContainEqual({name: APP, routers: [expect.stringMatching(/^webapp/)], wildcard: '*.example.com'})
    expect(dns.records().filter((r) => r.comment === MARK).map((r) => `${r.type} ${r.name} ${r.content} ${r.proxied}`).sort()).toEqual([
      `A *.example.com ${host.address} false`,
      `AAAA *.example.com ${host.address6} false`,
    ])
    const [[v4], [v6]] = await Promise.all([untilResolved(APP, 'A'), untilResolved(APP, 'AAAA')])
    expect([v4, v6]).toEqual([host.address, host.address6])
    for (const address of [v4!, v6!]) {
      await untilCertificate(address, APP)
      const r = await httpsGet({address, hostname: APP, ca: pebbleRoot})
      expect(r.status).toBe(200)
      expect(r.body).toMatch(/<h1>/)
    }
    // lego made its DNS-01 record through the same API, with the same token.
    expect(dns.calls().some((c) => c.method === 'POST' && c.type === 'TXT' && c.name === `_acme-challenge.${APP}` && c.token === 'main')).toBe(true)
    expect((await lab.cli(['dns', 'check', MACHINE])).code).toBe(0)
  })

  it('repo up --dns gives a new Host() the wildcard does not answer its record, and it answers over HTTPS', async () => {
    const path = lab.copyExample(join(import.meta.dirname, 'fixtures', 'deep'), 'deep')
    const created = await lab.cli(['repo', 'create', 'deep', '-m', MACHINE, '--path', path, '--json'])
    expect(created.code, created.stderr).toBe(0)
    await importImageIntoRepoDaemon(host, created.json.networkId)
    const up = await lab.cli(['repo', 'up', 'deep', '--dns', '--json'])
    expect(up.code, up.stdout + up.stderr).toBe(0)
    expect(up.json.ok).toBe(true)
    expect(up.json.dns.records.filter((r: any) => r.done).map((r: any) => `${r.action} ${r.type} ${r.name}`)).toEqual([`create A ${DEEP}`, `create AAAA ${DEEP}`])
    expect(await untilResolved(DEEP, 'A')).toEqual([host.address])
    await untilCertificate(host.address, DEEP)
    expect((await httpsGet({address: host.address, hostname: DEEP, ca: pebbleRoot})).body.trim()).toBe('deep api')
  })

  it('diagnose: all DNS ok through the records; records deleted at Cloudflare are named as missing there, with rdc dns apply', async () => {
    const healthy = await lab.cli(['diagnose', '-m', MACHINE, '--resolver', dns.resolver(), '--json'])
    const findings = healthy.json.machines[0].findings as Array<{hop: string; status: string; subject?: string; detail: string; fix?: string}>
    expect(findings.filter((f) => f.hop === 'dns').map((f) => [f.subject, f.status])).toEqual(expect.arrayContaining([[APP, 'ok'], [DEEP, 'ok']]))

    // Someone removes the wildcard in Cloudflare's dashboard.
    for (const r of dns.records().filter((x) => x.name === '*.example.com')) await dns.api('DELETE', `/zones/${dns.zoneId('example.com')}/dns_records/${r.id}`)
    const broken = await lab.cli(['diagnose', '-m', MACHINE, '--host', APP, '--resolver', dns.resolver(), '--json'])
    expect(broken.code).toBe(1)
    const dnsFinding = (broken.json.machines[0].findings as typeof findings).find((f) => f.hop === 'dns' && f.subject === APP)
    expect(dnsFinding).toMatchObject({status: 'fail', fix: `rdc dns apply ${MACHINE}`, detail: expect.stringMatching(/^no record for app\.example\.com at Cloudflare \(zone example\.com, no wildcard answers it\); the resolver: app\.example\.com does not exist|^no record for app\.example\.com at Cloudflare \(zone example\.com, no wildcard answers it\); the resolver: /)})
    expect((await lab.cli(['dns', 'check', MACHINE])).code).toBe(9)
    expect((await lab.cli(['dns', 'apply', MACHINE])).code).toBe(0)
    const fixed = await lab.cli(['diagnose', '-m', MACHINE, '--host', APP, '--resolver', dns.resolver(), '--json'])
    expect((fixed.json.machines[0].findings as typeof findings).find((f) => f.hop === 'dns' && f.subject === APP)?.status).toBe('ok')
  })

  it('push-infra refuses to push a token Cloudflare refuses: the machine fails with the reason, nothing changes', async () => {
    expect((await lab.cli(['context', 'set-infra', MACHINE, '--cf-dns-token', 'a-wrong-token', '--no-token-check'])).code).toBe(0)
    const before = (await host.exec(['cat', '/opt/rediacc/proxy/config.env'])).stdout
    const push = await lab.cli(['context', 'push-infra', MACHINE, '--json'])
    expect(push.code).toBe(1)
    expect(push.json.machines[0]).toMatchObject({status: 'failed', error: {kind: 'cloudflare', exitCode: 10}})
    expect(push.json.machines[0].error.message).toMatch(/^Cloudflare refused the token while listing the zones the token can see/)
    expect((await host.exec(['cat', '/opt/rediacc/proxy/config.env'])).stdout).toBe(before)
    expect(push.stdout).not.toContain('a-wrong-token')
    const restored = await lab.cli(['context', 'set-infra', MACHINE, '--cf-dns-token', TOKEN])
    expect(restored.code, restored.stderr).toBe(0)
    const again = await lab.cli(['context', 'push-infra', MACHINE, '--json'])
    expect(again.json.machines[0].status, JSON.stringify(again.json.machines[0].files.filter((f: any) => f.action !== 'unchanged'))).toBe('unchanged')
  })
})
