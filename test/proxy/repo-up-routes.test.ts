/**
 * `rdc repo up` says what got routed (issue 15), through the real Traefik with certificates from the ACME lab: a
 * repository with a routed service (using fields Traefik 3.7 added), one whose port label is an unset variable,
 * one refused (a backend URL by label) and one with traefik.enable=false. Its output, --json and exit codes;
 * --allow-unrouted; --wait-https returns once Traefik serves each new hostname a certificate that verifies.
 */
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {AcmeLab} from '../support/acme/index.js'
import {ensureBuilt, importImageIntoRepoDaemon, type Lab, MACHINE, newLab, setUpMachine, traefikRouters, untilTraefikLoadedAll} from '../lab/index.js'
import {httpsGet, tlsPeer} from '../support/traffic.js'
import {loadBusyboxImage, startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'

const TOKEN = 'cf-token-repo-up-routes'
const FIXTURE = join(import.meta.dirname, 'fixtures', 'routes')
const REPO = 'shop'
const UNROUTED_EXIT = 11

let host: TestHost
let acme: AcmeLab
let lab: Lab
let pebbleRoot: string
let networkId: number

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  await loadBusyboxImage(host)
  ;({acme, pebbleRoot} = await setUpMachine(lab, host, {acme: {token: TOKEN}}))
  const path = lab.copyExample(FIXTURE, REPO)
  const created = await lab.cli(['repo', 'create', REPO, '-m', MACHINE, '--path', path, '--json'])
  if (created.code !== 0) throw new Error(`rdc repo create: ${created.stdout}${created.stderr}`)
  networkId = Number(created.json.networkId ?? created.json.repository?.networkId)
  await importImageIntoRepoDaemon(host, networkId)
}, 300_000)

afterAll(async () => {
  await acme?.stop()
  lab?.cleanup()
  await stopTestHosts()
})

const ip = (slot: number) => {
  const v = networkId + slot + 2
  return `127.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`
}

describe('repo up reports what got routed', () => {
  it('prints each route and each refused or skipped container with its fix, and exits 11 for the unrouted one', async () => {
    const started = Date.now()
    const r = await lab.cli(['repo', 'up', REPO, '-m', MACHINE])
    const seconds = (Date.now() - started) / 1000
    expect(r.code, r.stdout + r.stderr).toBe(UNROUTED_EXIT)
    // Slots are given in name order: fallback 0, internal 1, legacy 2, web 3.
    expect(r.stdout).toMatch(new RegExp(`shop[-_]web[-_]1 +shop +shop\\.example\\.com +websecure, websecure-v6 +http://${ip(3).replace(/\./g, '\\.')}:8080`))
    // An empty server.port (an unset variable) falls back to the container's port, as in Traefik.
    expect(r.stdout).toMatch(new RegExp(`fallback +fallback\\.example\\.com .*http://${ip(0).replace(/\./g, '\\.')}:8081`))
    expect(r.stdout).toMatch(/Not routed:\n +shop[-_]legacy[-_]1 \(legacy\): refused \(foreign-backend\): service legacy: loadbalancer\.server\.url is not accepted/)
    expect(r.stdout).toMatch(/ +fix: let the route server point the backend at the container/)
    expect(r.stdout).toMatch(/traefik\.enable=false \(not routed, on purpose\): shop[-_]internal[-_]1/)
    expect(r.stdout).toMatch(/traefik\.enable=true but no route: shop[-_]legacy[-_]1/)
    // oclif wraps the error's lines (` ›   ` prefixed): read it unwrapped.
    const error = r.stderr.replace(/\s*\n ›\s*/g, ' ')
    expect(error).toMatch(/shop[-_]legacy[-_]1 asked for routes \(traefik\.enable=true\) and got none/)
    expect(error).toMatch(/--allow-unrouted/)
    console.log(`repo up with the routing report: ${seconds.toFixed(1)} s`)
  }, 240_000)

  it('--json carries the same report, and the error with exit code 11', async () => {
    const r = await lab.cli(['repo', 'up', REPO, '-m', MACHINE, '--json'])
    expect(r.code, r.stderr).toBe(UNROUTED_EXIT)
    // Compose names containers shop-web-1 or shop_web_1 depending on its version.
    const routing = JSON.parse(JSON.stringify(r.json.routing).replace(/shop_(\w+)_1/g, 'shop-$1-1'))
    expect(routing.notSeen).toEqual([])
    console.log(`the route server had reported on every container ${(routing.waitedMs / 1000).toFixed(1)} s after the up steps`)
    expect(routing.routes.map((x: {container: string; router: string; hosts: string[]; backends: string[]}) => [x.container, x.router, x.hosts, x.backends])).toEqual([
      ['shop-fallback-1', 'fallback', ['fallback.example.com'], [`http://${ip(0)}:8081`]],
      ['shop-web-1', 'shop', ['shop.example.com'], [`http://${ip(3)}:8080`]],
    ])
    expect(routing.problems).toEqual([expect.objectContaining({container: 'shop-legacy-1', object: 'legacy', kind: 'foreign-backend', fix: expect.any(String)})])
    expect(routing.disabled).toEqual(['shop-internal-1'])
    expect(routing.unrouted).toEqual(['shop-legacy-1'])
    expect(r.json.error).toMatchObject({kind: 'unrouted', exitCode: UNROUTED_EXIT})
    expect(r.json.ok).toBe(true)
  }, 120_000)

  it('--allow-unrouted --wait-https exits 0 once Traefik serves each hostname a certificate that verifies; the routes answer, the others do not', async () => {
    const started = Date.now()
    const r = await lab.cli(['repo', 'up', REPO, '-m', MACHINE, '--allow-unrouted', '--wait-https', '--wait-https-timeout', '180', '--json'])
    const seconds = (Date.now() - started) / 1000
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.error).toBeUndefined()
    const https = r.json.routing.https
    expect(https.ok).toBe(true)
    expect(https.hosts.map((h: {name: string; status: string}) => [h.name, h.status])).toEqual([
      ['fallback.example.com', 'valid'],
      ['shop.example.com', 'valid'],
    ])
    console.log(`repo up --wait-https: ${seconds.toFixed(1)} s, certificates after ${(https.waitedMs / 1000).toFixed(1)} s`)

    // What repo up said is what a client gets: Pebble's certificate for the name, and the page, on both families.
    for (const address of [host.address, host.address6]) {
      for (const name of ['shop.example.com', 'fallback.example.com']) {
        const peer = await tlsPeer(address, 443, name, pebbleRoot)
        expect(peer.authorized, peer.authorizationError).toBe(true)
        const page = await httpsGet({address, hostname: name, ca: pebbleRoot})
        expect([page.status, page.body.trim()]).toEqual([200, '<h1>shop</h1>'])
      }
    }

    await untilTraefikLoadedAll(host)
    const loaded = await traefikRouters(host)
    expect(loaded).toEqual(expect.arrayContaining([`shop-${networkId}@http`, `fallback-${networkId}@http`]))
    // No router for the refused service, none (not even the automatic one) for traefik.enable=false.
    expect(loaded.filter((x) => x.startsWith(`legacy-${networkId}@`) || x.startsWith(`internal-${networkId}@`))).toEqual([])
    for (const name of ['legacy.example.com', `internal-${networkId}.example.com`]) {
      expect((await httpsGet({address: host.address, hostname: name, insecure: true})).status).toBe(404)
    }
  }, 300_000)

  it('--wait-https that runs out exits 1 and names the hostname and what was served', async () => {
    // A hostname whose certificate cannot be issued: the ACME lab refuses the DNS challenge for it.
    const set = await lab.cli(['context', 'set-infra', MACHINE, '--cf-dns-token', 'not-the-zone-token', '--no-token-check'])
    expect(set.code, set.stderr).toBe(0)
    const push = await lab.cli(['context', 'push-infra', MACHINE, '--no-token-check'])
    expect(push.code, push.stderr + push.stdout).toBe(0)
    const path = join(lab.dir, 'src', REPO, 'docker-compose.yml')
    const {readFileSync, writeFileSync} = await import('node:fs')
    writeFileSync(path, readFileSync(path, 'utf8').replace('Host(`shop.example.com`)', 'Host(`shop2.example.com`)'))
    const r = await lab.cli(['repo', 'up', REPO, '-m', MACHINE, '--allow-unrouted', '--wait-https', '--wait-https-timeout', '8'])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.stdout).toMatch(/shop2\.example\.com +pending +Traefik serves its default certificate/)
    expect(r.stderr.replace(/\s*\n ›\s*/g, ' ')).toMatch(/no valid certificate after \d+ s for shop2\.example\.com/)
  }, 180_000)
})
