import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LO, startLab, type Lab} from '../../../test/support/diagnose-lab.js'
import {localTransport} from '../../../test/support/local-transport.js'
import type {Finding} from '../finding.js'
import {formatReport} from '../format.js'
import {diagnose} from '../run.js'
import {gatherServer} from './server.js'

const VERSION = '9.9.9-test'

describe('gathering from a machine over a real (local) transport, then the checks', () => {
  let lab: Lab
  let endpoints: Lab['endpoints']
  let local: Lab['local']
  let bundle: Buffer
  let dns: Lab['dns']
  let dir: string

  beforeAll(async () => {
    lab = await startLab({
      version: VERSION,
      infra: {publicIPv4: LO, baseDomain: 'good.test', certEmail: 'a@good.test', hasCfDnsToken: true, tcpPorts: [25], udpPorts: [3478]},
      routes: [
        {protocol: 'http', router: 'shop-web', rule: 'Host(`app.good.test`)', entryPoints: ['websecure'], backend: 'app', container: 'shop-web-1', service: 'web'},
        {protocol: 'http', router: 'shop-api', rule: 'Host(`api.good.test`)', entryPoints: ['websecure'], backend: 'closed', container: 'shop-api-1', service: 'api'},
        {protocol: 'tcp', router: 'shop-smtp', rule: 'HostSNI(`*`)', entryPoints: ['tcp-2525'], backend: 'app', container: 'shop-mail-1', service: 'mail'},
        {protocol: 'udp', router: 'shop-turn', rule: null, entryPoints: ['udp-3478'], backend: `${LO}:9`, container: 'shop-coturn-1', service: 'coturn', env: ['EXTERNAL_IP=198.51.100.9']},
      ],
      certNames: ['app.good.test'],
      dns: ['--local=/good.test/', `--host-record=app.good.test,${LO}`, `--host-record=api.good.test,${LO}`],
    })
    ;({endpoints, local, bundle, dns} = lab)
    dir = endpoints.daemonSocketDir.replace(/\/rediacc$/, '')
  })

  afterAll(async () => {
    await lab?.stop()
  })

  const find = (findings: Finding[], hop: string, subject: string): Finding | undefined => findings.find((f) => f.hop === hop && f.subject === subject)

  it('reads every fact in a script round trip plus probe round trips, falling back to the CLI bundle', async () => {
    const transport = localTransport()
    const g = await gatherServer({transport, local, cliVersion: VERSION, loadBundle: async () => bundle, resolver: dns.address, endpoints})
    // renet is not installed here, so the probes ran from the bundle through `node -`.
    expect(g.probeVia).toBe('bundle')
    expect(g.roundTrips).toBe(3)
    expect(transport.calls.map((c) => c.slice(0, 2))).toEqual([
      ['bash', '-s'],
      ['sh', '-c'],
      ['sh', '-c'],
    ])
    expect(g.server.renetVersion.code).toBe(127)
    expect(g.server.health).toMatchObject({outcome: 'ok', status: 200})
    expect(g.server.proxy).toMatchObject({outcome: 'ok', status: 200})
    expect(g.server.daemons).toMatchObject([{socket: join(dir, 'rediacc', 'docker-2816.sock'), version: {outcome: 'ok', status: 200}}])
    expect(g.server.sockets.code).toBe(0)
    // The proxy's log is read in the same script; the lab's Docker API is a stand-in that `docker logs` cannot use.
    expect(g.server.proxyLog?.stdout).toMatch(/^@@rdc-docker-rc [1-9]\d*$/m)
    expect(g.routes.map((r) => [r.route.name, r.backends.map((b) => b.result.outcome), r.tls.map((t) => t.cert?.subjectCN), r.dns.map((d) => d.name)])).toEqual([
      ['shop-web', ['ok'], ['app.good.test'], ['app.good.test']],
      ['shop-api', ['refused'], ['TRAEFIK DEFAULT CERT'], ['api.good.test']],
      ['shop-smtp', ['ok'], [], []],
      ['shop-turn', [], [], []],
    ])
    expect(g.routes[3]!.container).toMatchObject({env: ['EXTERNAL_IP=198.51.100.9']})
    expect(g.wildcards.map((w) => w.name)).toEqual([expect.stringMatching(/^rdc-probe-[0-9a-f]{8}\.good\.test$/)])
  })

  it('the whole walk names each broken hop with its fix, and --json-able report says not ok', async () => {
    const report = await diagnose({
      targets: [{local, connect: async () => ({ssh: {target: 'root@lab:22', outcome: 'ok', durationMs: 5}, transport: localTransport()})}],
      cliVersion: VERSION,
      loadBundle: async () => bundle,
      resolver: dns.address,
      endpoints,
    })
    expect(report.ok).toBe(false)
    const findings = report.machines[0]!.findings
    expect(find(findings, 'versions', 'renet')).toMatchObject({status: 'fail', detail: 'renet is not installed', fix: 'rdc context push-infra lab'})
    expect(find(findings, 'versions', 'docker-2816')).toMatchObject({status: 'ok', detail: 'Docker 24.0.7 (API 1.43)'})
    expect(find(findings, 'proxy', 'rediacc-proxy')).toMatchObject({status: 'ok', detail: 'rediacc-proxy is running (traefik:v3.7), ping answers'})
    expect(find(findings, 'proxy', 'traefik-api')).toMatchObject({status: 'ok'})
    expect(find(findings, 'backend', 'app.good.test')).toMatchObject({status: 'ok'})
    expect(find(findings, 'dns', 'app.good.test')).toMatchObject({status: 'ok', detail: `resolves to ${LO} via ${dns.address}`})
    expect(find(findings, 'tls', `app.good.test @ ${LO}`)).toMatchObject({status: 'warn', detail: expect.stringContaining('is self-signed')})
    expect(find(findings, 'backend', 'api.good.test')).toMatchObject({status: 'fail', detail: expect.stringMatching(/^502 Bad Gateway: nothing listens on 127\.0\.0\.1:\d+ \(connection refused\)$/)})
    expect(find(findings, 'backend', 'api.good.test')!.fix).toContain('${API_IP}')
    expect(find(findings, 'tls', `api.good.test @ ${LO}`)).toBeUndefined()
    expect(find(findings, 'port', 'tcp router shop-smtp')).toMatchObject({status: 'fail', fix: 'rdc context set-infra lab --tcp-ports 25,2525 && rdc context push-infra lab'})
    expect(find(findings, 'relay', 'shop-coturn-1')).toMatchObject({status: 'fail', detail: expect.stringContaining('advertises 198.51.100.9')})
    const text = formatReport(report)
    if (process.env.DIAG_PRINT) process.stdout.write(`${text}\n`)
    expect(text).toContain('lab (')
    expect(text).toMatch(/ {2}FAIL {2}backend {4}api\.good\.test: 502 Bad Gateway: nothing listens on 127\.0\.0\.1:\d+ \(connection refused\) {2}→ make the app listen on \$\{API_IP\}/)
  })

  it('--host narrows the walk to the routes serving that name', async () => {
    const g = await gatherServer({transport: localTransport(), local: {...local, askedHost: 'app.good.test'}, cliVersion: VERSION, loadBundle: async () => bundle, resolver: dns.address, endpoints})
    expect(g.routes.map((r) => r.route.name)).toEqual(['shop-web'])
  })

  it('a failed connection stops the machine at SSH and runs nothing', async () => {
    const transport = localTransport()
    const report = await diagnose({
      targets: [{local, connect: async () => ({ssh: {target: 'root@lab:22', outcome: 'host-key-mismatch', durationMs: 5, pinned: 'SHA256:a', presented: 'SHA256:b'}})}],
      cliVersion: VERSION,
      loadBundle: async () => bundle,
    })
    expect(transport.calls).toEqual([])
    expect(report.machines[0]!.findings.map((f) => [f.hop, f.status])).toEqual([
      ['local', 'ok'],
      ['ssh', 'fail'],
    ])
  })
})
