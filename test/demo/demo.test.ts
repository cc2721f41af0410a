/**
 * `npm run demo` end to end on a real test host, then `npm run demo -- down`. Runs under the suite's own instance
 * id (RDC_TESTHOST_INSTANCE), never the id of a demo a person brought up, and reuses its imported image.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {failedFindings} from '../../scripts/demo/findings.js'
import {demoConfigDir, DEMO_TOKEN, HTTP_HOST, MACHINE} from '../../scripts/demo/settings.js'
import {TRAEFIK_VERSION} from '../../src/infra/traefik-version.js'
import {ensureBuilt} from '../lab/index.js'
import {cleanupInstance, dockerdPid, instanceContainers} from '../testhost/cleanup.js'
import {instanceId, instanceLayout, REPO_ROOT} from '../testhost/instance.js'
import {vethsWithPrefix} from '../testhost/network.js'
import {run, RunResult} from '../testhost/run.js'
import {readSavedHosts, SavedHost} from '../testhost/saved-hosts.js'

const env = {...process.env, RDC_TESTHOST_INSTANCE: instanceId(process.env, 'test')}
const layout = instanceLayout('demo', env)
const config = join(demoConfigDir(layout), 'config.yaml')

function demo(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(REPO_ROOT, 'scripts/demo.ts'), ...args], {env, timeoutMs: 600_000})
}

describe('npm run demo', () => {
  let up: RunResult
  let saved: SavedHost
  let savedConfig: string

  beforeAll(async () => {
    ensureBuilt()
    up = await demo()
    saved = readSavedHosts(layout)[0]!
    savedConfig = existsSync(config) ? readFileSync(config, 'utf8') : ''
  }, 600_000)

  afterAll(() => {
    // Only if a test failed before `down` ran: leave nothing behind either way.
    if (readSavedHosts(layout).length > 0 || dockerdPid(layout) !== undefined) cleanupInstance(layout)
  })

  it('runs every step and exits 0', () => {
    expect(up.stderr).not.toMatch(/demo FAILED/)
    expect(up.code).toBe(0)
    expect(up.stdout).toMatch(/demo up in \d+\.\d s\./)
  })

  it('pins the host key rdc read over SSH, checked against the key read inside the host', () => {
    expect(saved.fingerprint).toMatch(/^SHA256:/)
    expect(up.stdout).toContain(`$ rdc context add-machine ${MACHINE} --host ${saved.address} --user root --key ${saved.privateKeyPath}`)
    expect(up.stdout).toContain(`host key (read from server):  ${saved.fingerprint}`)
    expect(up.stdout).toContain(`check: the key rdc read over SSH is the one read inside the host (${saved.fingerprint}): same`)
    const machine = parse(savedConfig).contexts.demo.machines[MACHINE]
    expect(machine.hostKey).toBe(saved.hostKey)
  })

  it('sets the infrastructure with the token on standard input; the token is never printed', () => {
    expect(up.stdout).toContain(`$ printf %s "$DEMO_CF_TOKEN" | rdc context set-infra ${MACHINE} --public-ipv4 ${saved.address} --public-ipv6 ${saved.address6} --allow-private`)
    expect(up.stdout).toContain('Cloudflare token:  *** (stored)')
    // The host's own address, wherever in 198.18.0.0/15 its instance's subnet lies.
    expect(up.stdout).toMatch(new RegExp(`tcp-25 +${saved.address.replaceAll('.', '\\.')}:25 +user`))
    expect(up.stdout + up.stderr).not.toContain(DEMO_TOKEN)
    expect(statSync(config).mode & 0o777).toBe(0o600)
    expect(parse(savedConfig).contexts.demo.machines[MACHINE].infra).toMatchObject({publicIPv6: saved.address6})
    expect(parse(savedConfig).contexts.demo.machines[MACHINE].infra.proxyImage).toBeUndefined()
  })

  it('pushes the infrastructure; the proxy is the real Traefik of push-infra\'s default image', () => {
    expect(up.stdout).toContain(`$ rdc context push-infra ${MACHINE}`)
    expect(up.stdout).toMatch(new RegExp(`${MACHINE}: \\d+ file\\(s\\) uploaded .*router \\+ proxy`))
    expect(up.stdout).toContain(`traefik:v${TRAEFIK_VERSION}  (the real Traefik release binary`)
  })

  it('deploys the examples and routes app.example.com, tcp-5432 and udp-53 to them', () => {
    for (const name of ['webapp', 'tcp-service', 'udp-service']) expect(up.stdout).toContain(`$ rdc repo up ${name} -m ${MACHINE}`)
    expect(up.stdout).toMatch(new RegExp(`  ${HTTP_HOST.replaceAll('.', '\\.')}  \\(websecure,websecure-v6\\) +→  http://127\\.0\\.11\\.\\d+:3000`))
    expect(up.stdout).toMatch(/ {2}tcp-5432,tcp-5432-v6 {2}\(TCP, SNI any\) +→ {2}127\.0\.11\.\d+:5432/)
    expect(up.stdout).toMatch(/ {2}udp-53,udp-53-v6 {2}\(UDP\) +→ {2}127\.0\.11\.\d+:53/)
  })

  it('makes the DNS records with rdc dns apply, at the Cloudflare API', () => {
    expect(up.stdout).toContain(`$ rdc dns plan ${MACHINE}`)
    expect(up.stdout).toContain(`$ rdc dns apply ${MACHINE}`)
    expect(up.stdout).toMatch(/at Cloudflare now: .*A \S*example\.com → 198\.1[89]\./)
  })

  it('gets a certificate from Pebble through the Cloudflare API (the TXT record made and removed with the token)', () => {
    expect(up.stdout).toContain(`Cloudflare API: POST TXT _acme-challenge.${HTTP_HOST} (token accepted)`)
    expect(up.stdout).toContain(`Cloudflare API: DELETE TXT _acme-challenge.${HTTP_HOST} (token accepted)`)
  })

  it('diagnoses every hop ok, the certificate included', () => {
    expect(up.stdout).toMatch(new RegExp(`\\$ rdc diagnose -m ${MACHINE} --resolver 127\\.0\\.0\\.1:\\d+\n`))
    expect(up.stdout).toMatch(/\n {4}ok {4}ssh {8}\S/)
    expect(up.stdout).toMatch(/\n {4}ok {4}tls {8}\S/)
    expect(failedFindings(up.stdout)).toEqual([])
  })

  it('ends with real answers through Traefik: HTTPS on both addresses (HSTS), TCP and UDP', () => {
    expect(up.stdout).toContain(`$ curl -sS -i --resolve ${HTTP_HOST}:443:${saved.address} --cacert <Pebble root> https://${HTTP_HOST}/`)
    expect(up.stdout).toContain(`$ curl -sS -i --resolve ${HTTP_HOST}:443:[${saved.address6}] --cacert <Pebble root> https://${HTTP_HOST}/`)
    expect(up.stdout.match(/ {2}HTTP\/[12](\.[01])? 200/g)).toHaveLength(2)
    expect(up.stdout.match(/strict-transport-security: max-age=15768000; includeSubDomains/gi)).toHaveLength(2)
    expect(up.stdout).toContain('<h1>webapp is up</h1>')
    expect(up.stdout).toMatch(/TCP \S+:5432 \(tcp-5432, raw bytes, no TLS\): HTTP\/1\.[01] 200/)
    expect(up.stdout).toMatch(/UDP \S+:53 \(udp-53\): sent "hello over udp-53 \d+", got "hello over udp-53 \d+" back/)
  })

  it('demo down leaves no host, veth pair, dockerd, saved host or demo context file behind', async () => {
    expect(instanceContainers(layout)).toHaveLength(1)
    const down = await demo('down')
    expect(down.code).toBe(0)
    expect(down.stdout).toContain('demo removed: 1 host(s), 1 veth pair(s), the private dockerd, the demo context file')
    expect(instanceContainers(layout)).toEqual([])
    expect(vethsWithPrefix(layout.vethPrefix)).toEqual([])
    expect(dockerdPid(layout)).toBeUndefined()
    expect(existsSync(layout.dockerdSocket)).toBe(false)
    expect(existsSync(demoConfigDir(layout))).toBe(false)
    expect(readSavedHosts(layout)).toEqual([])
  })
})
