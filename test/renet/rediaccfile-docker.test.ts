/**
 * `renet rediaccfile` and `renet compose` end to end: the built dist/renet.cjs runs the example repositories
 * against real private dockerds (one per repository, as on a server) with the real docker-compose, and the
 * services answer on their loopback IPs.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseSummary, type RediaccfileSummary} from '../../src/renet/rediaccfile/summary.js'
import {dockerRequest} from '../support/docker-api.js'
import {PrivateDockerd, removeDockerdState, startPrivateDockerd} from '../support/dockerd.js'
import {importBusyboxImage, importUdpEchoImage} from '../support/images.js'

const REPO_ROOT = join(import.meta.dirname, '..', '..')
const RENET = join(REPO_ROOT, 'dist', 'renet.cjs')
const EXAMPLES = join(REPO_ROOT, 'examples')

interface Container {
  Names: string[]
  Labels: Record<string, string>
  Image: string
  State: string
  HostConfig: {NetworkMode: string}
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
  summary: RediaccfileSummary | null
}

function renet(args: string[], cwd = REPO_ROOT): Run {
  const result = spawnSync(process.execPath, [RENET, ...args], {cwd, encoding: 'utf8', timeout: 120_000})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr, summary: parseSummary(result.stderr)}
}

function rediaccfile(step: string, path: string, networkId: number, daemon: PrivateDockerd): Run {
  return renet(['rediaccfile', step, '--path', path, '--network-id', String(networkId), '--name', `demo-${networkId}`, '--docker-host', daemon.host])
}

async function containers(daemon: PrivateDockerd): Promise<Container[]> {
  const {status, body} = await dockerRequest(daemon.socket, 'GET', '/containers/json?all=1')
  expect(status).toBe(200)
  return (JSON.parse(body) as Container[]).sort((a, b) => a.Names[0].localeCompare(b.Names[0]))
}

async function httpGet(url: string): Promise<string> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const response = await fetch(url)
      return await response.text()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(100)
    }
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    socket.setTimeout(2000)
    socket.on('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
    socket.on('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

async function udpEcho(host: string, port: number, text: string): Promise<string> {
  const socket = createSocket('udp4')
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      const reply = new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 200)
        socket.once('message', (message) => {
          clearTimeout(timer)
          resolve(message.toString())
        })
      })
      socket.send(text, port, host)
      const answer = await reply
      if (answer !== null) return answer
    }

    throw new Error(`no UDP answer from ${host}:${port}`)
  } finally {
    socket.close()
  }
}

describe('renet rediaccfile with real dockerds and docker-compose', () => {
  let root: string
  let d2816: PrivateDockerd
  let d2880: PrivateDockerd
  const repos: Array<{path: string; id: number; daemon: () => PrivateDockerd}> = []

  beforeAll(async () => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-renet.mjs')], {cwd: REPO_ROOT})
    root = mkdtempSync('/tmp/rdc-compose-it-')
    d2816 = await startPrivateDockerd({root: join(root, 'd2816'), socket: join(root, 'docker-2816.sock')})
    d2880 = await startPrivateDockerd({root: join(root, 'd2880'), socket: join(root, 'docker-2880.sock')})
    importBusyboxImage(d2816.host)
    importBusyboxImage(d2880.host)
    importUdpEchoImage(d2816.host)
  })

  afterAll(async () => {
    for (const repo of repos.reverse()) rediaccfile('down', repo.path, repo.id, repo.daemon())
    await d2816?.stop()
    await d2880?.stop()
    removeDockerdState(root)
  })

  function example(name: string, folder: string, id: number, daemon: () => PrivateDockerd): string {
    const path = join(root, folder)
    cpSync(join(EXAMPLES, name), path, {recursive: true})
    repos.push({path, id, daemon})
    return path
  }

  it('deploys the webapp example: host networking, rediacc.* labels, services on their IPs', async () => {
    const path = example('webapp', 'webapp-2816', 2816, () => d2816)
    const prep = rediaccfile('prep', path, 2816, d2816)
    expect(prep.stderr).not.toMatch(/warning/)
    expect(prep.code).toBe(0)
    const up = rediaccfile('up', path, 2816, d2816)
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toMatch(/^\[\.\] Creating webapp-2816_webapp_1 .* done$/m)
    expect(up.summary).toMatchObject({action: 'up', ok: true, services: {postgres: {slot: 0, ip: '127.0.11.2'}, webapp: {slot: 1, ip: '127.0.11.3'}}})

    const list = await containers(d2816)
    expect(list.map((c) => [c.Names[0], c.State, c.HostConfig.NetworkMode])).toEqual([
      ['/webapp-2816_postgres_1', 'running', 'host'],
      ['/webapp-2816_webapp_1', 'running', 'host'],
    ])
    const [postgres, webapp] = list
    expect(webapp.Labels).toMatchObject({
      'rediacc.service_name': 'webapp',
      'rediacc.service_ip': '127.0.11.3',
      'rediacc.network_id': '2816',
      'rediacc.tcp_ports': '3000',
      'traefik.enable': 'true',
      'traefik.http.routers.webapp.rule': 'Host(`app.example.com`)',
      'traefik.http.routers.webapp.middlewares': 'webapp-hsts',
      'traefik.http.middlewares.webapp-hsts.headers.stsSeconds': '15768000',
      'traefik.http.services.webapp.loadbalancer.server.port': '3000',
    })
    expect(webapp.Labels['rediacc.udp_ports']).toBeUndefined()
    expect(postgres.Labels).toMatchObject({'rediacc.service_name': 'postgres', 'rediacc.service_ip': '127.0.11.2'})
    // It declares no port (as in the guide), so it carries no port label and gets no automatic route.
    expect(postgres.Labels['rediacc.tcp_ports']).toBeUndefined()
    expect(Object.keys(postgres.Labels).filter((key) => key.startsWith('traefik.'))).toEqual([])

    expect(await httpGet('http://127.0.11.3:3000/')).toContain('<h1>webapp is up</h1>')
    expect(await tcpOpen('127.0.11.2', 5432)).toBe(true)
    // Bound to its own IP only: the neighbour's address does not answer on that port.
    expect(await tcpOpen('127.0.11.2', 3000)).toBe(false)
  })

  it('gives a second repository with the same service names its own IPs on its own daemon', async () => {
    const path = example('webapp', 'webapp-2880', 2880, () => d2880)
    expect(rediaccfile('prep', path, 2880, d2880).code).toBe(0)
    const up = rediaccfile('up', path, 2880, d2880)
    expect(up.code, up.stderr).toBe(0)
    const labels = (await containers(d2880)).map((c) => [c.Labels['rediacc.service_name'], c.Labels['rediacc.service_ip'], c.Labels['rediacc.network_id']])
    expect(labels).toEqual([
      ['postgres', '127.0.11.66', '2880'],
      ['webapp', '127.0.11.67', '2880'],
    ])
    expect(await httpGet('http://127.0.11.67:3000/')).toContain('webapp is up')
    expect(await httpGet('http://127.0.11.3:3000/')).toContain('webapp is up')
  })

  it('keeps the slots and IPs of existing services when one is added', async () => {
    const path = join(root, 'webapp-2816')
    const compose = join(path, 'docker-compose.yml')
    writeFileSync(
      compose,
      readFileSync(compose, 'utf8').replace(
        'services:\n',
        'services:\n  cache:\n    image: rdc-test/busybox:local\n    network_mode: host\n    init: true\n    command: httpd -f -p ${CACHE_IP}:6379 -h /tmp\n    ports:\n      - "6379:6379"\n',
      ),
    )
    const before = await containers(d2816)
    const up = rediaccfile('up', path, 2816, d2816)
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toContain("renet compose: warning: docker-compose.yml: service 'cache': ports: 6379:6379 dropped")
    expect(JSON.parse(readFileSync(join(path, '.rediacc.json'), 'utf8'))).toEqual({services: {postgres: {slot: 0}, webapp: {slot: 1}, cache: {slot: 2}}})
    const after = await containers(d2816)
    expect(after.map((c) => [c.Labels['rediacc.service_name'], c.Labels['rediacc.service_ip'], c.Labels['rediacc.tcp_ports']])).toEqual([
      ['cache', '127.0.11.4', '6379'],
      ['postgres', '127.0.11.2', undefined],
      ['webapp', '127.0.11.3', '3000'],
    ])
    // The existing containers were left alone: same ids, still running.
    expect(after.filter((c) => c.Labels['rediacc.service_name'] !== 'cache').map((c) => c.Names[0])).toEqual(before.map((c) => c.Names[0]))
    expect(await tcpOpen('127.0.11.4', 6379)).toBe(true)
    expect(await httpGet('http://127.0.11.3:3000/')).toContain('webapp is up')
  })

  it('stops at a failing prep before anything starts', async () => {
    const path = join(root, 'failing-prep')
    cpSync(join(EXAMPLES, 'webapp'), join(path, 'a-web'), {recursive: true})
    cpSync(join(EXAMPLES, 'webapp'), join(path, 'b-web'), {recursive: true})
    writeFileSync(join(path, 'a-web', 'Rediaccfile'), 'prep() {\n  echo "database schema check failed" >&2\n  return 7\n}\nup() {\n  renet compose -- up -d\n}\n')
    const prep = rediaccfile('prep', path, 2944, d2880)
    expect(prep.code).toBe(1)
    expect(prep.stderr).toContain('[a-web] database schema check failed\n')
    expect(prep.summary?.steps.map((s) => [s.folder, s.status, s.exitCode])).toEqual([
      ['a-web', 'failed', 7],
      ['b-web', 'not-run', null],
    ])
    expect((await containers(d2880)).map((c) => c.Names[0])).toEqual(['/webapp-2880_postgres_1', '/webapp-2880_webapp_1'])
  })

  it('exits non-zero with the output of a failing up', async () => {
    const path = join(root, 'failing-up')
    cpSync(join(EXAMPLES, 'tcp-service'), path, {recursive: true})
    writeFileSync(join(path, 'docker-compose.yml'), 'services:\n  broken:\n    image: rdc-test/busybox:local\n    network_mode: host\n    command: /no/such/program\n')
    repos.push({path, id: 3008, daemon: () => d2880})
    const up = rediaccfile('up', path, 3008, d2880)
    expect(up.code).toBe(1)
    expect(up.stderr).toMatch(/^\[\.\] .*no such file or directory/m)
    expect(up.stderr).toContain('renet rediaccfile: .: up failed (exit code 1)')
    expect(up.summary).toMatchObject({ok: false, failed: ['.'], steps: [{folder: '.', status: 'failed', exitCode: 1}]})
  })

  it('refuses a broken compose file with its line and column, starting nothing', async () => {
    const path = join(root, 'bad-compose')
    cpSync(join(EXAMPLES, 'tcp-service'), path, {recursive: true})
    writeFileSync(join(path, 'docker-compose.yml'), 'services:\n  tcp-echo:\n    image: rdc-test/busybox:local\n    command: httpd: -f\n')
    const up = rediaccfile('up', path, 3072, d2880)
    expect(up.code).toBe(2)
    expect(up.stderr).toContain(`renet rediaccfile: ${join(path, 'docker-compose.yml')}:4:14: the compose file does not parse: Nested mappings`)
    expect(up.summary?.error?.message).toMatch(/docker-compose.yml:\d+:\d+: the compose file does not parse/)
    expect(up.summary?.steps).toEqual([])
  })

  it('renet compose on its own: flags for manual use, clear errors with nothing started', async () => {
    const path = join(root, 'manual')
    cpSync(join(EXAMPLES, 'tcp-service'), path, {recursive: true})
    const flags = ['--repo-path', path, '--network-id', '3264', '--docker-host', d2880.host]
    const config = renet(['compose', ...flags, '--', 'config'], path)
    expect(config.code, config.stderr).toBe(0)
    expect(config.stdout).toContain('rediacc.service_ip: 127.0.12.194')
    expect(config.stdout).toContain('network_mode: host')
    expect(config.stdout).toContain('command: httpd -f -p 127.0.12.194:5432 -h /srv')

    const noFile = renet(['compose', ...flags, '--', 'up', '-d'], root)
    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toBe(`renet compose: no compose file in ${root}\n  Add one of docker-compose.yml, docker-compose.yaml, compose.yml, compose.yaml beside the Rediaccfile, or pass -f <file>.\n`)

    writeFileSync(join(path, 'docker-compose.yml'), 'services:\n  9lives:\n    image: rdc-test/busybox:local\n')
    const badName = renet(['compose', ...flags, '--', 'up', '-d'], path)
    expect(badName.code).toBe(2)
    expect(badName.stderr).toMatch(/service name '9lives' cannot become an environment variable/)
    const names = (await containers(d2880)).map((c) => c.Labels['rediacc.network_id'])
    expect(names).not.toContain('3264')
  })

  it('takes the webapp down and brings it up again on the same IPs', async () => {
    const path = join(root, 'webapp-2816')
    const down = rediaccfile('down', path, 2816, d2816)
    expect(down.code, down.stderr).toBe(0)
    expect(await containers(d2816)).toEqual([])
    expect(await tcpOpen('127.0.11.3', 3000)).toBe(false)
    const up = rediaccfile('up', path, 2816, d2816)
    expect(up.code, up.stderr).toBe(0)
    expect((await containers(d2816)).map((c) => c.Labels['rediacc.service_ip'])).toEqual(['127.0.11.4', '127.0.11.2', '127.0.11.3'])
    expect(await httpGet('http://127.0.11.3:3000/')).toContain('webapp is up')
  })

  it('runs the tcp-service and udp-service examples', async () => {
    const tcp = example('tcp-service', 'tcp-service', 3136, () => d2816)
    const udp = example('udp-service', 'udp-service', 3200, () => d2816)
    // The example builds nothing on the server: no compiler is needed there, no binary is left in the folder.
    expect(readFileSync(join(udp, 'Rediaccfile'), 'utf8')).not.toMatch(/\bcc\b|gcc/)
    for (const path of [tcp, udp]) {
      const id = path === tcp ? 3136 : 3200
      const prep = rediaccfile('prep', path, id, d2816)
      expect(prep.code, prep.stderr).toBe(0)
      const up = rediaccfile('up', path, id, d2816)
      expect(up.code, up.stderr).toBe(0)
    }

    const all = await containers(d2816)
    const labels = Object.fromEntries(all.map((c) => [c.Labels['rediacc.service_name'], c.Labels]))
    const dnsImage = all.find((c) => c.Labels['rediacc.service_name'] === 'dns')?.Image
    expect(labels['tcp-echo']).toMatchObject({
      'rediacc.service_ip': '127.0.12.66',
      'rediacc.tcp_ports': '5432',
      'traefik.tcp.routers.tcp-echo.entrypoints': 'tcp-5432',
      'traefik.tcp.routers.tcp-echo.rule': 'HostSNI(`*`)',
    })
    expect(labels.dns).toMatchObject({
      'rediacc.service_ip': '127.0.12.130',
      'rediacc.udp_ports': '53',
      'traefik.udp.routers.dns.entrypoints': 'udp-53',
      'traefik.udp.services.dns.loadbalancer.server.port': '53',
    })
    expect(dnsImage).toBe('rdc-test/udp-echo:local')
    expect(labels.dns['rediacc.tcp_ports']).toBeUndefined()
    expect(await httpGet('http://127.0.12.66:5432/')).toBe('tcp-service answers\n')
    expect(await udpEcho('127.0.12.130', 53, 'ping over udp-53')).toBe('ping over udp-53')
    expect(existsSync(join(udp, 'bin'))).toBe(false)
  })
})
