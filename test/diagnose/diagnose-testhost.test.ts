/**
 * `rdc diagnose` against a real test host (systemd, sshd, Docker) set up with the real CLI and push-infra: each
 * failure of the networking guide's troubleshooting table induced for real, each test checking the finding, its
 * fix and the exit code.
 */
import {createHash, generateKeyPairSync} from 'node:crypto'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Finding} from '../../src/diagnose/finding.js'
import {startDnsmasq, type Dnsmasq} from '../support/dnsmasq.js'
import {until} from '../support/wait.js'
import {startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'
import type {AcmeLab} from '../support/acme/index.js'
import {type Lab, newLab, untilCertificate, untilTraefikHas} from '../lab/index.js'
import {diagnose, DOMAIN, olderRenetBundle, rediaccLabels, repoDocker, runApp, serviceIpOf, setUpDiagnoseMachine, sh} from './repo-apps.js'

const APP = `app.${DOMAIN}`
const DNS_PORT = 53_719
const OTHER_DNS_PORT = 53_720
const ELSEWHERE = '198.51.100.7'

let host: TestHost
let lab: Lab
let acme: AcmeLab | undefined
let dns: Dnsmasq

const failed = (findings: Finding[]): Finding[] => findings.filter((f) => f.status === 'fail')

const smtpLabels = {
  ...rediaccLabels('mail', 4),
  'traefik.enable': 'true',
  'traefik.tcp.routers.smtp.rule': 'HostSNI(`*`)',
  'traefik.tcp.routers.smtp.entrypoints': 'tcp-2525',
  'traefik.tcp.services.smtp.loadbalancer.server.port': '2525',
}

function webLabels(router: string, hostname: string, port: number): Record<string, string> {
  return {
    'traefik.enable': 'true',
    [`traefik.http.routers.${router}.rule`]: `Host(\`${hostname}\`)`,
    [`traefik.http.services.${router}.loadbalancer.server.port`]: String(port),
  }
}

beforeAll(async () => {
  ;[host] = await startTestHosts(1)
  lab = newLab()
  ;({acme} = await setUpDiagnoseMachine(lab, host))
  // DNS as the internet would answer it for the lab: the app's name points at the machine.
  dns = await startDnsmasq([`--host-record=${APP},${host.address}`, `--local=/${DOMAIN}/`], DNS_PORT)
  await runApp(host, {name: 'web-1', slot: 0, listenPort: 8080, labels: {...rediaccLabels('web', 0), ...webLabels('web', APP, 8080)}})
  await runApp(host, {
    name: 'db-1',
    slot: 1,
    listenPort: 5432,
    labels: {
      ...rediaccLabels('db', 1),
      'traefik.enable': 'true',
      'traefik.tcp.routers.db.rule': 'HostSNI(`*`)',
      'traefik.tcp.routers.db.entrypoints': 'tcp-5432',
      'traefik.tcp.services.db.loadbalancer.server.port': '5432',
    },
  })
  await untilCertificate(host.address, APP)
  await untilTraefikHas(host, 'http', 'web-2816')
  await untilTraefikHas(host, 'tcp', 'db-2816')
})

afterAll(async () => {
  await dns?.stop()
  await acme?.stop()
  lab?.cleanup()
  await stopTestHosts()
})

describe('rdc diagnose on a real machine', () => {
  it('a healthy setup gives only ok findings and exit code 0', async () => {
    const {code, report, findings} = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
    expect(findings.filter((f) => f.status !== 'ok')).toEqual([])
    expect(code).toBe(0)
    expect(report.ok).toBe(true)
    expect(findings.map((f) => `${f.hop}:${f.subject ?? ''}`)).toEqual([
      'local:m1',
      `ssh:root@${host.address}:22`,
      'versions:renet',
      'versions:docker-2816',
      'router:rediacc-router',
      'proxy:rediacc-proxy',
      'entrypoint:',
      'proxy:traefik-api',
      'route:tcp router db-2816',
      'backend:tcp router db-2816',
      `route:${APP}`,
      `backend:${APP}`,
      `dns:${APP}`,
      `tls:${APP} @ ${host.address}`,
    ])
    expect(findings.find((f) => f.hop === 'backend' && f.subject === APP)!.detail).toBe(`${serviceIpOf(0)}:8080 answers HTTP 200 (web)`)
    expect(findings.find((f) => f.hop === 'tls')!.detail).toMatch(/^Pebble Intermediate CA [0-9a-f]+, valid until \d{4}-\d\d-\d\d \(\d+ days\), chain verified to Pebble Root CA [0-9a-f]+$/)

    // The human report says the same, with the same exit code.
    const human = await lab.cli(['diagnose', '-m', 'm1', '--resolver', dns.address])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('All hops ok (14 ok, 0 warnings).')
  })

  it('router stopped: the unit is named with the command that starts it; exit code 1', async () => {
    await sh(host, 'systemctl stop rediacc-router')
    try {
      const {code, findings} = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
      expect(code).toBe(1)
      expect(failed(findings).filter((f) => f.hop === 'router')).toEqual([
        {
          hop: 'router',
          status: 'fail',
          subject: 'rediacc-router',
          detail: 'rediacc-router is inactive',
          fix: 'sudo systemctl start rediacc-router (why it stopped: sudo journalctl -u rediacc-router -n 50)',
        },
        expect.objectContaining({hop: 'router', subject: 'rediacc-router', detail: expect.stringMatching(/^\/health on 127\.0\.0\.1:7111 does not answer \(refused/)}),
      ])
      const human = await lab.cli(['diagnose', '-m', 'm1', '--resolver', dns.address])
      expect(human.code).toBe(1)
      expect(human.stdout).toContain('FAIL  router     rediacc-router: rediacc-router is inactive  → sudo systemctl start rediacc-router')
    } finally {
      await sh(host, 'systemctl start rediacc-router')
      await until(async () => (await host.exec(['curl', '-fsS', 'http://127.0.0.1:7111/health'])).code === 0, 'the route server')
    }
  })

  it('a container without the labels: --host says no route serves the name and what the container lacks', async () => {
    await runApp(host, {name: 'shop-1', slot: 2, listenPort: 8080, labels: {}})
    try {
      const {code, findings} = await diagnose(lab, ['-m', 'm1', '--host', `shop.${DOMAIN}`, '--resolver', dns.address])
      expect(code).toBe(1)
      const [route] = failed(findings)
      expect(failed(findings)).toHaveLength(1)
      expect(route).toMatchObject({hop: 'route', status: 'fail', subject: `shop.${DOMAIN}`})
      expect(route!.detail).toBe(
        `no route serves shop.${DOMAIN}: its container is not running or lacks the labels (shop-1 gives no route: no rediacc.* labels and no traefik.enable=true (not started by renet compose))`,
      )
      expect(route!.fix).toBe(
        `check the container runs (sudo DOCKER_HOST=unix:///var/run/rediacc/docker-<id>.sock docker ps) and has traefik.enable=true and traefik.http.routers.<name>.rule=Host(\`shop.${DOMAIN}\`); then rdc repo up <repo>`,
      )
    } finally {
      await repoDocker(host, 'rm -f shop-1')
    }
  })

  it('an app not listening on its declared port is the 502 cause, naming {SERVICE}_IP and loadbalancer.server.port', async () => {
    const name = `api.${DOMAIN}`
    // Declared 9090, listening on 8080.
    await runApp(host, {name: 'api-1', slot: 3, listenPort: 8080, labels: {...rediaccLabels('api', 3), ...webLabels('api', name, 9090)}})
    try {
      await untilTraefikHas(host, 'http', 'api-2816')
      const {code, findings} = await diagnose(lab, ['-m', 'm1', '--host', name, '--resolver', dns.address])
      expect(code).toBe(1)
      expect(failed(findings)).toEqual([
        {
          hop: 'backend',
          status: 'fail',
          subject: name,
          detail: `502 Bad Gateway: nothing listens on ${serviceIpOf(3)}:9090 (connection refused)`,
          fix:
            'make the app listen on ${API_IP}:9090 (bind to API_IP, not 127.0.0.1 or localhost) and keep traefik.http.services.<name>.loadbalancer.server.port=9090 ' +
            'equal to the port it listens on; is it running? sudo DOCKER_HOST=unix:///var/run/rediacc/docker-2816.sock docker ps',
          durationMs: expect.any(Number),
        },
      ])
    } finally {
      await repoDocker(host, 'rm -f api-1')
    }
  })

  it('a TCP port not in the infra settings: the route server refuses the router, and the fix registers the port', async () => {
    await runApp(host, {name: 'mail-1', slot: 4, listenPort: 2525, labels: smtpLabels})
    try {
      await until(async () => (await host.exec(['curl', '-fsS', 'http://127.0.0.1:7111/health'])).stdout.includes('tcp-2525'), 'the refusal')
      const {code, findings} = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
      expect(code).toBe(1)
      const [refused] = failed(findings)
      expect(failed(findings)).toHaveLength(1)
      expect(refused).toMatchObject({hop: 'route', status: 'fail', subject: 'smtp'})
      expect(refused!.detail).toMatch(/^refused by the route server \(smtp, container mail-1, network 2816\): .*'tcp-2525' does not exist on this machine$/)
      expect(refused!.fix).toBe('register the port: rdc context set-infra m1 --tcp-ports 2525 && rdc context push-infra m1')
    } finally {
      await repoDocker(host, 'rm -f mail-1')
    }
  })

  // The route server learns new ports from traefik.yml (router.yaml's traefikConfig) without a restart.
  it('the fix for an unregistered TCP port, run as written, makes the route work', async () => {
    await runApp(host, {name: 'mail-1', slot: 4, listenPort: 2525, labels: smtpLabels})
    try {
      await until(async () => (await host.exec(['curl', '-fsS', 'http://127.0.0.1:7111/health'])).stdout.includes('tcp-2525'), 'the refusal')
      const {findings} = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
      const fix = failed(findings)[0]!.fix!
      for (const part of fix.replace(/^register the port: /, '').split(' && ')) {
        const r = await lab.cli(part.split(' ').slice(1))
        expect(r.code, `${part}: ${r.stderr}`).toBe(0)
      }
      await untilTraefikHas(host, 'tcp', 'smtp-2816')
      const after = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
      expect(failed(after.findings)).toEqual([])
      expect(after.code).toBe(0)
      expect(after.findings).toContainEqual(expect.objectContaining({hop: 'backend', status: 'ok', subject: 'tcp router smtp-2816', detail: `${serviceIpOf(4)}:2525 answers (mail)`}))
    } finally {
      await repoDocker(host, 'rm -f mail-1')
    }
  }, 120_000)

  it("the server's renet older than the CLI: versions fail with push-infra as the fix, and push-infra fixes it", async () => {
    const old = await olderRenetBundle('0.0.9')
    const put = await host.exec(
      ['sh', '-c', 'mkdir -p /usr/lib/rediacc/renet/0.0.9 && cat > /usr/lib/rediacc/renet/0.0.9/renet.cjs && ln -sfn 0.0.9 /usr/lib/rediacc/renet/current && systemctl restart rediacc-router'],
      {input: old},
    )
    expect(put.code, put.stderr).toBe(0)
    await until(async () => (await host.exec(['curl', '-fsS', 'http://127.0.0.1:7111/health'])).stdout.match(/"version":\s*"0\.0\.9"/) !== null, 'the old route server')
    const {code, findings} = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
    expect(code).toBe(1)
    expect(failed(findings)).toEqual([
      {hop: 'versions', status: 'fail', subject: 'renet', detail: "the server's renet 0.0.9 is older than this CLI (0.1.0)", fix: 'rdc context push-infra m1'},
    ])

    const push = await lab.cli(['context', 'push-infra', 'm1'])
    expect(push.code, push.stderr).toBe(0)
    const after = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
    expect(failed(after.findings)).toEqual([])
    expect(after.findings).toContainEqual({hop: 'versions', status: 'ok', subject: 'renet', detail: 'renet 0.1.0 matches the CLI'})
  }, 120_000)

  it('DNS pointing elsewhere: the A record is named with the resolver asked, and what Cloudflare holds (rdc dns apply fixes it)', async () => {
    const other = await startDnsmasq([`--host-record=${APP},${ELSEWHERE}`, `--local=/${DOMAIN}/`], OTHER_DNS_PORT)
    // The zone at Cloudflare (the lab's stand-in, m1's CLOUDFLARE_BASE_URL) holds the same wrong record, made by hand.
    const wrong = await acme!.createRecord(DOMAIN, {type: 'A', name: APP, content: ELSEWHERE})
    try {
      const {code, findings} = await diagnose(lab, ['-m', 'm1', '--host', APP, '--resolver', other.address])
      expect(code).toBe(1)
      expect(failed(findings)).toEqual([
        {
          hop: 'dns',
          status: 'fail',
          subject: APP,
          detail: `at Cloudflare ${APP} A → ${ELSEWHERE}, not this machine (${host.address}); the resolver: A → ${ELSEWHERE}, not this machine (${host.address}) via ${other.address}`,
          fix: "rdc dns apply m1 --adopt (the record is not rdc's: it is taken over), or correct it in Cloudflare",
        },
      ])
    } finally {
      await acme!.deleteRecord(DOMAIN, wrong.id)
      await other.stop()
    }
  })

  it('host key changed: the walk stops at SSH with both fingerprints and the re-pin command; other machines still walked', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({format: 'der', type: 'spki'}).subarray(-32)
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), other])
    const add = await lab.cli(['context', 'add-machine', 'm2', '--host', host.address, '--user', host.user, '--key', host.privateKeyPath, '--host-key', `ssh-ed25519 ${blob.toString('base64')}`])
    expect(add.code, add.stderr).toBe(0)
    await lab.cli(['context', 'set-infra', 'm2', '--public-ipv4', host.address, '--allow-private', '--base-domain', DOMAIN, '--cert-email', `admin@${DOMAIN}`])
    await lab.cli(['context', 'set-infra', 'm2', '--cf-dns-token', '-', '--no-token-check'], {input: 'test-token-not-used\n'})
    try {
      const {code, report} = await diagnose(lab, ['-m', 'm1', '-m', 'm2', '--resolver', dns.address])
      expect(code).toBe(1)
      expect(report.machines.map((m) => m.machine)).toEqual(['m1', 'm2'])
      expect(failed(report.machines[0]!.findings)).toEqual([])
      const m2 = report.machines[1]!.findings
      expect(m2.map((f) => `${f.hop}:${f.status}`)).toEqual(['local:ok', 'ssh:fail'])
      expect(m2[1]!.detail).toBe(`host key changed: pinned ${fingerprint(blob)}, server presented ${host.fingerprint}; nothing was run`)
      expect(m2[1]!.fix).toBe(
        'if the server was rebuilt on purpose, re-pin it: rdc context scan-keys m2; otherwise do not connect (the connection may be intercepted)',
      )
    } finally {
      await lab.cli(['context', 'remove-machine', 'm2'])
    }
  })
})

function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}
