/**
 * End to end with the REAL Traefik 3.7.15 (its ACME client is lego v5.5.2): the `letsencrypt` resolver with
 * dnsChallenge.provider cloudflare gets a certificate from Pebble through the Cloudflare stand-in and the DNS front.
 */
import {X509Certificate} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {ensureTraefikBinary} from '../traefik/install.js'
import {until} from '../wait.js'
import {freePort, portFree} from './free-port.js'
import {startAcmeLab, type AcmeLab} from './lab.js'
import {startLocalTraefik, tlsPeer, type LocalTraefik} from './local-traefik.js'

const TOKEN = 'lab-token-3f9c2a7e5b1d4c6a8e0f2b4d6a8c0e1f'
const APP = 'app.example.com'
let binary: string
const cleanups: Array<() => Promise<void>> = []

beforeAll(async () => {
  binary = await ensureTraefikBinary()
}, 600_000)

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setUp(address: string, options: {token?: string; propagation?: Record<string, unknown>; dnsPort?: number; resolvConf?: boolean} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-acme-traefik-'))
  cleanups.push(async () => rmSync(dir, {recursive: true, force: true}))
  const lab: AcmeLab = await startAcmeLab({addresses: [address], zones: ['example.com'], token: TOKEN, dnsPort: options.dnsPort ?? 0})
  cleanups.push(() => lab.stop())
  let resolvConf: string | undefined
  if (options.resolvConf) {
    resolvConf = join(dir, 'resolv.conf')
    writeFileSync(resolvConf, `nameserver ${address}\n`)
  }
  const port = await freePort([address])
  const started = Date.now()
  const traefik: LocalTraefik = await startLocalTraefik({
    binary, lab, dir: join(dir, 'traefik'), address, port, hostName: APP, token: options.token, propagation: options.propagation, resolvConf,
  })
  cleanups.push(() => traefik.stop())
  return {lab, traefik, port, started}
}

/** Polls the certificate Traefik serves for APP until Pebble's intermediate issued it; returns the ms waited. */
async function untilIssued(address: string, port: number, lab: AcmeLab, traefik: LocalTraefik, started: number): Promise<number> {
  await until(
    async () => {
      if (!traefik.process.running()) throw new Error(`Traefik exited:\n${traefik.process.output()}`)
      const peer = await tlsPeer(address, port, APP, lab.pebbleRootPem()).catch(() => undefined)
      return String(peer?.chain[0]?.issuer.CN ?? '').startsWith('Pebble Intermediate CA')
    },
    `Traefik to serve a Pebble certificate for ${APP}`,
    {timeoutMs: 60_000, intervalMs: 100},
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nTraefik:\n${traefik.process.output()}\nPebble:\n${lab.output().pebble}`)
  })
  return Date.now() - started
}

describe('the real Traefik gets a certificate from the ACME lab through DNS-01 with the cloudflare provider', () => {
  it('issues for app.example.com: the chain verifies against Pebble\'s root, and the stand-in saw the TXT record created and deleted with the configured token', async () => {
    const address = '127.0.0.201'
    // lego's authoritative check looks the zone's NS names (ns1.cf-standin.test.) up with THIS machine's resolver,
    // which cannot know them; in a test host /etc/resolv.conf names the DNS front, which answers them. Here the
    // authoritative check is off (the next test runs it with a resolv.conf of its own); the recursive check, SOA
    // walk, zone lookup, TXT create/delete and Pebble's validation are all real.
    const {lab, traefik, port, started} = await setUp(address, {propagation: {disableANSChecks: true}})
    const ms = await untilIssued(address, port, lab, traefik, started)
    console.info(`[acme lab] Traefik start → certificate served: ${ms} ms (lego sleeps its 2 s polling interval once before checking)`)

    const peer = await tlsPeer(address, port, APP, lab.pebbleRootPem())
    expect(peer.authorized, peer.error).toBe(true)
    const [leaf, intermediate] = peer.chain.map((c) => new X509Certificate(c.raw))
    expect(leaf.subjectAltName).toBe(`DNS:${APP}`)
    expect(leaf.verify(intermediate.publicKey)).toBe(true)
    expect(intermediate.verify(new X509Certificate(lab.pebbleRootPem()).publicKey)).toBe(true)

    const calls = lab.calls()
    expect(calls.map((c) => [c.method, c.action, c.token === 'main'])).toEqual([
      ['GET', 'zones-listed', true],
      ['POST', 'record-created', true],
      ['DELETE', 'record-deleted', true],
    ])
    expect(calls[0].path).toBe('/client/v4/zones?name=example.com&per_page=50')
    const [created, deleted] = calls.slice(1)
    expect(created).toMatchObject({type: 'TXT', name: `_acme-challenge.${APP}`, zone: 'example.com'})
    expect(created.content).toMatch(/^"[A-Za-z0-9_-]{43}"$/)
    expect(deleted).toMatchObject({type: 'TXT', name: `_acme-challenge.${APP}`, recordId: created.recordId, content: created.content})
    expect(lab.records()).toEqual([])
    // lego found the zone apex by SOA at the front and checked the TXT there (recursively).
    expect(lab.dnsQueries().filter((q) => q.type === 'SOA').map((q) => [q.name, q.answers])).toEqual(
      expect.arrayContaining([[`_acme-challenge.${APP}`, 0], [APP, 0], ['example.com', 1]]),
    )
    expect(lab.dnsQueries().some((q) => q.type === 'TXT' && q.name === `_acme-challenge.${APP}` && q.answers === 1 && q.rd)).toBe(true)
  }, 120_000)

  it('passes lego\'s authoritative-nameserver check too when /etc/resolv.conf names the DNS front on port 53 (as in a test host)', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip()
    // Port 53 on a loopback address of its own; Traefik sees a resolv.conf naming it in a private mount namespace.
    let address: string | undefined
    for (let i = 1; i < 30 && !address; i++) if (await portFree([`127.0.53.${i}`], 53, {udp: true})) address = `127.0.53.${i}`
    if (!address) ctx.skip()
    const {lab, traefik, port, started} = await setUp(address!, {dnsPort: 53, resolvConf: true})
    const ms = await untilIssued(address!, port, lab, traefik, started)
    console.info(`[acme lab] with the authoritative check: ${ms} ms`)
    expect((await tlsPeer(address!, port, APP, lab.pebbleRootPem())).authorized).toBe(true)
    const q = lab.dnsQueries()
    expect(q.some((e) => e.type === 'NS' && e.name === 'example.com' && e.answers === 2)).toBe(true)
    // Go's resolver (through resolv.conf) found ns1/ns2.cf-standin.test at the front …
    expect(q.some((e) => e.type === 'A' && e.name === 'ns1.cf-standin.test' && e.answers === 1)).toBe(true)
    // … and lego's non-recursive TXT query to them came back to the front and found the record.
    expect(q.some((e) => e.type === 'TXT' && e.name === `_acme-challenge.${APP}` && !e.rd && e.answers === 1)).toBe(true)
  }, 120_000)

  it('with a token the stand-in does not accept: no certificate, and Traefik logs why (JSON)', async () => {
    const address = '127.0.0.202'
    const {lab, traefik, port} = await setUp(address, {token: 'not-the-token', propagation: {disableANSChecks: true}})
    const failed = (): Record<string, unknown> | undefined =>
      traefik.logEntries().find((e) => e.level === 'error' && e.message === 'Unable to obtain ACME certificate for domains')
    await until(async () => failed() !== undefined, 'Traefik to log that it could not obtain the certificate', {timeoutMs: 60_000, intervalMs: 100})
    const line = traefik.process.lines().find((l) => l.includes('"Unable to obtain ACME certificate for domains"'))
    console.info(`[acme lab] Traefik's error line:\n${line}`)
    expect(failed()).toMatchObject({
      level: 'error',
      providerName: 'letsencrypt.acme',
      routerName: 'app@file',
      domains: [APP],
      error:
        'unable to generate a certificate for the domains [app.example.com]: resolver: one or more domains had a problem: ' +
        '[app.example.com: dns01: error presenting token (app.example.com): cloudflare: failed to find zone example.com.: ' +
        '[status code 403] 9109: Invalid access token]',
    })
    // lego's clean-up looks the zone up again and fails the same way; it logs that as a warning.
    expect(traefik.logEntries().find((e) => e.message === 'Cleaning up failed.')).toMatchObject({
      level: 'warn',
      lib: 'lego',
      error: {error: 'cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token'},
    })
    const peer = await tlsPeer(address, port, APP, lab.pebbleRootPem())
    expect(peer.authorized).toBe(false)
    expect(peer.chain[0]?.subject.CN).toBe('TRAEFIK DEFAULT CERT')
    expect(lab.calls().map((c) => [c.method, c.status, c.token === 'main', c.token, c.errors])).toEqual([
      ['GET', 403, false, 'wrong', [9109]],
      ['GET', 403, false, 'wrong', [9109]],
    ])
    expect(lab.records()).toEqual([])
  }, 120_000)
})
