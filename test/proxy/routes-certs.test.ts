/**
 * `rdc routes` with real certificates: the real Traefik 3.7.15 gets app.example.com's certificate from Pebble
 * through DNS-01 (the ACME lab), and the table shows the one the proxy serves for the name: issuer, expiry and
 * days left; a TCP entry point route is listed without one.
 */

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {deploy, ensureBuilt, type Lab, newLab, setUpMachine, untilCertificate, untilTraefikLoadedAll} from '../lab/index.js'
import type {AcmeLab} from '../support/acme/index.js'
import {tlsPeer} from '../support/traffic.js'
import {BUSYBOX_IMAGE, startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'

const TOKEN = 'cf-token-routes-test'
const APP = 'app.example.com'

let host: TestHost
let acme: AcmeLab
let lab: Lab

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  ;({acme} = await setUpMachine(lab, host, {acme: {token: TOKEN}}))
  for (const example of ['webapp', 'tcp-service']) await deploy(lab, host, example, {images: [BUSYBOX_IMAGE]})
  await untilTraefikLoadedAll(host)
  await untilCertificate(host.address, APP, 180_000)
}, 600_000)

afterAll(async () => {
  await acme?.stop()
  lab?.cleanup()
  await stopTestHosts()
})

describe('rdc routes with certificates from the ACME lab', () => {
  it("shows each HTTPS name's certificate as the proxy serves it: issuer, expiry, days left", async () => {
    const r = await lab.cli(['routes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const app = r.json.routes.find((x: any) => x.host === APP)
    expect(app).toMatchObject({repository: 'webapp', tier: 'labels', backends: ['http://127.0.11.3:3000']})
    expect(app.certificate.status).toBe('ok')
    expect(app.certificate.issuer).toMatch(/Pebble Intermediate CA/)
    const peer = await tlsPeer(host.address, 443, APP)
    expect(app.certificate.issuer).toContain(peer.issuerCN)
    expect(app.certificate.daysLeft).toBe(Math.floor((Date.parse(app.certificate.notAfter) - Date.now()) / 86_400_000))
    expect(app.certificate.daysLeft).toBeGreaterThan(14)

    const tcp = r.json.routes.find((x: any) => x.repository === 'tcp-service')
    expect(tcp).toMatchObject({protocol: 'tcp', host: null})
    expect(tcp.entryPoints.some((e: string) => e.startsWith('tcp-'))).toBe(true)
    expect(tcp.certificate).toBeUndefined()

    const human = await lab.cli(['routes', '-m', 'm1'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`${APP.replaceAll('.', '\\.')}\\s.*Pebble Intermediate CA.*, until \\d{4}-\\d{2}-\\d{2} \\(\\d+ days\\)`))
    expect(human.stdout).toMatch(/tcp tcp-\d+/)
  })
})
