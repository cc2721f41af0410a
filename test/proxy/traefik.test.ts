/**
 * The networking guide's promise through the real Traefik: a test host set up with the real CLI, the real Traefik
 * (the release push-infra's default image pins) as rediacc-proxy, certificates issued by Pebble (Let's Encrypt's
 * test CA) over DNS-01 through lego's Cloudflare provider talking to our Cloudflare API stand-in. Every request
 * goes from this machine to the host's public IPv4 or IPv6 address, as a client on the internet would send it.
 */
import {X509Certificate} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAcmeLab, type AcmeLab} from '../support/acme/index.js'
import {ensureBuilt} from '../support/cli.js'
import {httpGet, httpsGet, tcpExchange, tlsPeer, udpExchange} from '../support/traffic.js'
import {until} from '../support/wait.js'
import {loadBusyboxImage, loadNodeImage, loadUdpEchoImage, startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'
import {acmeInfraFlags, deploy, proxyLog, routeServerRouters, traefikRouters, untilTraefikLoadedAll, useZoneResolver} from './lab.js'
import {newLab, setUpMachine, type Lab} from '../repo/lab.js'

const TOKEN = 'cf-token-real-traefik-test'
const APP = 'app.example.com'
const HSTS = 'max-age=15768000; includeSubDomains'

let host: TestHost
let acme: AcmeLab
let lab: Lab
let pebbleRoot: string
const ids: Record<string, number> = {}

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  acme = await startAcmeLab({addresses: [host.peer, host.peer6], zones: ['example.com'], token: TOKEN})
  await useZoneResolver(host, acme)
  lab = newLab()
  const caFile = join(lab.dir, 'acme-ca.pem')
  writeFileSync(caFile, acme.listenerCaPem)
  await Promise.all([loadBusyboxImage(host), loadUdpEchoImage(host), loadNodeImage(host)])
  await setUpMachine(lab, host, ["--cert-email", "admin@example.com", "--tcp-ports", "993", "--cf-dns-token", TOKEN, ...acmeInfraFlags(acme, host, caFile)])
  pebbleRoot = await acme.pebbleRootPem()
  for (const example of ['webapp', 'tcp-service', 'udp-service']) {
    ids[example] = await deploy(lab, host, example, example === 'udp-service' ? ['rdc-test/udp-echo:local'] : ['rdc-test/busybox:local'])
  }

  await untilTraefikLoadedAll(host)
}, 300_000)

afterAll(async () => {
  await acme?.stop()
  lab?.cleanup()
  await stopTestHosts()
})

/** Waits until Traefik serves a certificate for `name` that is not its own default one (issuance is done). */
async function untilIssued(address: string, name: string, timeoutMs = 120_000): Promise<void> {
  await until(async () => {
    const peer = await tlsPeer(address, 443, name).catch(() => undefined)
    return peer !== undefined && peer.subjectCN !== 'TRAEFIK DEFAULT CERT'
  }, `a certificate for ${name} from Pebble`, {timeoutMs, intervalMs: 1000})
}

describe('the guide\'s complete example (examples/webapp) through the real Traefik', () => {
  it.each([['IPv4'], ['IPv6']])('https://app.example.com/ answers the page over %s with a certificate Pebble issued through DNS-01, and HSTS', async (family) => {
    const address = family === 'IPv4' ? host.address : host.address6
    await untilIssued(address, APP)
    const peer = await tlsPeer(address, 443, APP, pebbleRoot)
    expect(peer.authorized, peer.authorizationError).toBe(true)
    expect(peer.sans).toContain(`DNS:${APP}`)
    expect(peer.issuerCN).toMatch(/^Pebble Intermediate CA/)
    const r = await httpsGet({address, hostname: APP, ca: pebbleRoot})
    expect(r.status).toBe(200)
    expect(r.body).toMatch(/<h1>/)
    expect(r.headers['strict-transport-security']).toBe(HSTS)
  })

  it('lego created the TXT record with the configured token, and deleted it after validation', () => {
    const txt = acme.calls().filter((c) => c.type === 'TXT' && c.name === `_acme-challenge.${APP}`)
    expect(txt.map((c) => [c.method, c.tokenOk])).toEqual(expect.arrayContaining([['POST', true], ['DELETE', true]]))
    expect(acme.calls().every((c) => c.tokenOk)).toBe(true)
  })

  it.each([['IPv4'], ['IPv6']])('http://app.example.com/ over %s is a permanent redirect to https', async (family) => {
    const address = family === 'IPv4' ? host.address : host.address6
    const r = await httpGet({address, hostname: APP})
    expect([301, 308]).toContain(r.status)
    expect(r.headers.location).toBe(`https://${APP}/`)
  })
})

describe('TCP and UDP entry points through the real Traefik', () => {
  it.each([['IPv4'], ['IPv6']])('raw bytes through tcp-5432 over %s reach examples/tcp-service and its answer comes back', async (family) => {
    const address = family === 'IPv4' ? host.address : host.address6
    const answer = await tcpExchange(address, 5432, 'GET / HTTP/1.0\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.[01] 200/)
    expect(answer).toContain('tcp-service')
  })

  it.each([['IPv4'], ['IPv6']])('a datagram through udp-53 over %s is answered by examples/udp-service', async (family) => {
    const address = family === 'IPv4' ? host.address : host.address6
    const payload = `ping-${family}-${Date.now()}`
    expect(await udpExchange(address, 53, payload)).toContain(payload)
  })
})

describe('routes as Traefik loads them', () => {
  it('Traefik loaded every router the route server serves, and logged no configuration error', async () => {
    const served = await routeServerRouters(host)
    expect(served).toEqual(expect.arrayContaining([`webapp-${ids.webapp}@http`, `tcp-echo-${ids['tcp-service']}@http`, `dns-${ids['udp-service']}@http`]))
    expect(await traefikRouters(host)).toEqual(expect.arrayContaining(served))
    const errors = (await proxyLog(host)).filter((l) => l.level === 'error' || l.level === 'fatal')
    expect(errors).toEqual([])
  })

  it('the example certificate chain is Pebble\'s, not Traefik\'s default', async () => {
    const peer = await tlsPeer(host.address, 443, APP)
    expect(peer.chain[0]).not.toBe('TRAEFIK DEFAULT CERT')
    expect(new X509Certificate(pebbleRoot).subject).toMatch(/Pebble Root CA/)
  })
})

