/**
 * The built route server (node dist/renet.cjs router) against two real, private dockerd daemons whose sockets
 * sit in a socket folder of the test's own, named as on a server: docker-2816.sock and docker-2880.sock.
 */
import {ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {request} from 'node:http'
import {Server, createServer} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {renderTraefikYaml} from '../../src/infra/render/traefik.js'
import {processAlive} from '../../src/process-alive.js'
import type {HealthReport, PortsReport, RoutesReport} from '../../src/renet/router/types.js'
import {DOCKER_CLI, PrivateDockerd, removeDockerdState, startPrivateDockerd} from '../support/dockerd.js'
import {BUSYBOX_IMAGE, importBusyboxImage} from '../support/images.js'

const ROOT = '/tmp/rdc-router-it'
const SOCKETS = join(ROOT, 'sock')
const STATE = join(ROOT, 'state')
const PORT = 17_111
const REPO = join(import.meta.dirname, '..', '..')
const BUNDLE = join(REPO, 'dist', 'renet.cjs')
/** Short enough to watch a dynamic port being released, long enough for a router restart to keep it. */
const PORT_GRACE_S = 8

function http(port: number, path: string): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, path, timeout: 2000}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v !== undefined && v !== false) return v
    } catch (error) {
      last = error
    }

    await sleep(20)
  }

  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
}

interface Config {
  http?: {routers?: Record<string, any>; services?: Record<string, any>}
  tcp?: {routers?: Record<string, any>; services?: Record<string, any>}
  udp?: {routers?: Record<string, any>; services?: Record<string, any>}
}

async function traefik(port = PORT): Promise<Config> {
  const r = await http(port, '/traefik')
  if (r.status !== 200) throw new Error(`/traefik: ${r.status}`)
  return (parse(r.body) ?? {}) as Config
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
}

async function health(port = PORT): Promise<HealthReport> {
  return JSON.parse((await http(port, '/health')).body) as HealthReport
}

function startRouter(port: number, socketDir: string, stateDir: string): {child: ChildProcess; output: () => string} {
  let out = ''
  const child = spawn(
    process.execPath,
    [BUNDLE, 'router', '--socket-dir', socketDir, '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`, '--base-domain', 'example.com',
      '--entrypoints', 'web,websecure,tcp-25,tcp-993,tcp-5432,tcp-10000,tcp-10001,tcp-10002,udp-53', '--resync-interval', '5', '--machine', 'it',
      '--port-grace', String(PORT_GRACE_S)],
    {stdio: ['ignore', 'pipe', 'pipe']},
  )
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  return {child, output: () => out}
}

async function stopRouter(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  return exited
}

const daemons: Record<number, PrivateDockerd> = {}

function docker(networkId: number, args: string[]): string {
  return execFileSync(DOCKER_CLI, args, {env: daemons[networkId].env, encoding: 'utf8'}).trim()
}

function run(networkId: number, name: string, slot: number, labels: Record<string, string>, extra: string[] = []): void {
  const v = networkId + slot + 2
  const ip = `127.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`
  const all: Record<string, string> = {'rediacc.service_name': name, 'rediacc.service_ip': ip, 'rediacc.network_id': String(networkId), ...labels}
  const flags = Object.entries(all).flatMap(([k, val]) => ['-l', `${k}=${val}`])
  docker(networkId, ['run', '-d', '--network', 'host', '--name', name, ...flags, ...extra, BUSYBOX_IMAGE, 'sleep', '3600'])
}

async function startDaemon(networkId: number): Promise<PrivateDockerd> {
  const d = await startPrivateDockerd({root: join(ROOT, `d${networkId}`), socket: join(SOCKETS, `docker-${networkId}.sock`), execRoot: join(ROOT, `x${networkId}`)})
  daemons[networkId] = d
  return d
}

/**
 * Shims of containers whose dockerd was killed outlive it until a daemon takes them over; when a run fails
 * before that, they are found by the exec root of this test (a path nothing else uses) and ended by pid.
 */
/** Pids of processes whose program (argv[0]) matches and whose command line mentions `path`. */
function processesOf(program: RegExp, path: string): number[] {
  const pids: number[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = ''
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue
    }

    if (program.test(cmd.split('\0')[0]!) && cmd.includes(path)) pids.push(Number(pid))
  }

  return pids
}

function killOrphanShims(): void {
  for (const pid of processesOf(/(^|\/)containerd-shim/, `${ROOT}/x`)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

let router: {child: ChildProcess; output: () => string}

beforeAll(async () => {
  killOrphanShims()
  for (const d of [join(ROOT, 'd2816'), join(ROOT, 'd2880')]) removeDockerdState(d)
  rmSync(ROOT, {recursive: true, force: true})
  mkdirSync(SOCKETS, {recursive: true})
  execFileSync(process.execPath, [join(REPO, 'scripts', 'build-renet.mjs')], {cwd: REPO})
  await Promise.all([startDaemon(2816), startDaemon(2880)])
  for (const d of Object.values(daemons)) importBusyboxImage(d.host)
  router = startRouter(PORT, SOCKETS, STATE)
  await waitFor('the router to be ready', async () => (await http(PORT, '/traefik')).status === 200, 15_000)
}, 180_000)

afterAll(async () => {
  if (router) await stopRouter(router.child)
  for (const d of Object.values(daemons)) await d.stop().catch(() => undefined)
  killOrphanShims()
  for (const id of [2816, 2880]) {
    removeDockerdState(join(ROOT, `d${id}`))
    removeDockerdState(join(ROOT, `x${id}`))
  }

  rmSync(ROOT, {recursive: true, force: true})
}, 120_000)

describe('renet router with two real dockerd daemons', () => {
  it('answers 503 on /traefik until every daemon has been listed once', async () => {
    const dir = join(ROOT, 'silent')
    mkdirSync(dir, {recursive: true})
    // A socket that accepts and never answers: discovery cannot complete.
    const silent: Server = createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(join(dir, 'docker-2944.sock'), resolve))
    const other = startRouter(PORT + 1, dir, join(ROOT, 'silent-state'))
    try {
      const r = await waitFor('the second router to listen', async () => http(PORT + 1, '/traefik').catch(() => undefined))
      expect(r.status).toBe(503)
      const h = await http(PORT + 1, '/health')
      expect(h.status).toBe(503)
      expect(JSON.parse(h.body).status).toBe('starting')
      expect((await http(PORT + 1, '/nope')).status).toBe(404)
    } finally {
      expect(await stopRouter(other.child)).toBe(0)
      silent.close()
    }
  })

  it('routes a container within 1 s of its start and drops it within 1 s of its removal', async () => {
    // `docker run -d` returns once the container has started: the clock starts there.
    run(2816, 'app', 0, {'rediacc.tcp_ports': '8080'})
    const started = Date.now()
    const cfg = await waitFor('the automatic route', async () => {
      const c = await traefik()
      return c.http?.routers?.['app-2816'] ? c : undefined
    })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(cfg.http!.routers!['app-2816']).toEqual({
      entryPoints: ['websecure'],
      rule: 'Host(`app-2816.example.com`)',
      service: 'app-2816',
      tls: {certResolver: 'letsencrypt'},
    })
    expect(cfg.http!.services!['app-2816']).toEqual({loadBalancer: {servers: [{url: 'http://127.0.11.2:8080'}]}})
    const routes = JSON.parse((await http(PORT, '/routes.json')).body) as RoutesReport
    expect(routes.routes).toContainEqual(expect.objectContaining({router: 'app-2816', networkId: 2816, container: 'app', source: 'auto', backends: ['http://127.0.11.2:8080']}))

    // Unchanged input: identical bytes.
    expect((await http(PORT, '/traefik')).body).toBe((await http(PORT, '/traefik')).body)

    docker(2816, ['rm', '-f', 'app'])
    const removed = Date.now()
    await waitFor('the route to go', async () => !(await traefik()).http?.routers?.['app-2816'])
    expect(Date.now() - removed).toBeLessThan(1000)
  })

  it('decodes traefik labels in both repositories with unique names and refuses hostile containers', async () => {
    run(2816, 'web', 1, {
      'traefik.enable': 'true',
      'traefik.http.routers.web.rule': 'Host(`shop.example.com`)',
      'traefik.http.routers.web.entrypoints': 'websecure',
      'traefik.http.services.web.loadbalancer.server.port': '3000',
      'traefik.udp.routers.dns.entrypoints': 'udp-53',
      'traefik.udp.services.dns.loadbalancer.server.port': '53',
    })
    await waitFor('the first web router', async () => (await traefik()).http?.routers?.['web-2816'])
    run(2880, 'web', 1, {
      'traefik.enable': 'true',
      'traefik.http.routers.web.rule': 'Host(`blog.example.com`)',
      'traefik.http.services.web.loadbalancer.server.port': '3000',
    })
    run(2880, 'thief', 2, {'traefik.enable': 'true', 'traefik.http.routers.steal.rule': 'Host(`shop.example.com`)', 'rediacc.tcp_ports': '80'})
    run(2880, 'spoof', 3, {'traefik.enable': 'true', 'rediacc.service_ip': '127.0.11.3', 'rediacc.tcp_ports': '80'})
    run(2880, 'dash', 4, {'traefik.enable': 'true', 'traefik.http.routers.dash.rule': 'Host(`dash.example.com`)', 'traefik.http.routers.dash.service': 'api@internal', 'rediacc.tcp_ports': '80'})
    run(2880, 'admin', 5, {'traefik.enable': 'true', 'traefik.http.routers.admin.rule': 'Host(`admin.example.com`)', 'traefik.http.routers.admin.entrypoints': 'traefik', 'rediacc.tcp_ports': '80'})
    run(2880, 'dns', 6, {'traefik.enable': 'true', 'traefik.udp.routers.dns.entrypoints': 'udp-53', 'traefik.udp.services.dns.loadbalancer.server.port': '53'})

    const h = await waitFor('five refusals', async () => {
      const report = await health()
      return report.refusals.length >= 5 ? report : undefined
    })
    const refusals = h.refusals.map((r) => [r.container, r.networkId, r.kind]).sort()
    expect(refusals).toEqual([
      ['admin', 2880, 'unknown-entrypoint'],
      ['dash', 2880, 'foreign-reference'],
      ['dns', 2880, 'udp-entrypoint-taken'],
      ['spoof', 2880, 'foreign-backend'],
      ['thief', 2880, 'foreign-hostname'],
    ])
    expect(h.status).toBe('degraded')
    const cfg = await traefik()
    expect(cfg.http!.routers!['web-2816'].rule).toBe('Host(`shop.example.com`)')
    expect(cfg.http!.routers!['web-2880']).toEqual({
      entryPoints: ['websecure'],
      rule: 'Host(`blog.example.com`)',
      service: 'web-2880',
      tls: {certResolver: 'letsencrypt'},
    })
    expect(cfg.http!.services!['web-2880'].loadBalancer.servers).toEqual([{url: 'http://127.0.11.67:3000'}])
    expect(Object.keys(cfg.udp!.routers!)).toEqual(['dns-2816'])
    expect(cfg.http!.routers!['steal-2880']).toBeUndefined()
    expect(cfg.http!.routers!['dash-2880']).toBeUndefined()
    for (const name of ['thief', 'spoof', 'dash', 'admin', 'dns']) docker(2880, ['rm', '-f', name])
    await waitFor('refusals to clear', async () => (await health()).refusals.length === 0)
  })

  it('keeps the routes of a daemon that stops answering, reports it stale, and recovers when it returns', async () => {
    run(2880, 'keeper', 7, {'rediacc.tcp_ports': '9000'}, ['--restart', 'always'])
    await waitFor('the keeper route', async () => (await traefik()).http?.routers?.['keeper-2880'])
    process.kill(daemons[2880].pid, 'SIGKILL')
    const stale = await waitFor('the daemon to be stale', async () => {
      const report = await health()
      return report.daemons.find((d) => d.networkId === 2880 && d.stale) ? report : undefined
    })
    expect(stale.status).toBe('degraded')
    expect(stale.daemons.find((d) => d.networkId === 2880)).toMatchObject({stale: true, error: expect.any(String), containers: 2})
    expect((await traefik()).http?.routers?.['keeper-2880']).toBeDefined()
    await sleep(1500)
    // Both containers stay routed while the daemon is silent: `web` (no restart policy) too.
    expect((await traefik()).http?.routers).toMatchObject({'keeper-2880': expect.anything(), 'web-2880': expect.anything()})

    // A router restarted meanwhile starts from the saved containers of the silent daemon: no 20 s wait, no loss.
    expect(await stopRouter(router.child)).toBe(0)
    const restarted = Date.now()
    router = startRouter(PORT, SOCKETS, STATE)
    await waitFor('the restarted router', async () => (await http(PORT, '/traefik').catch(() => ({status: 0}))).status === 200, 15_000)
    expect(Date.now() - restarted).toBeLessThan(5000)
    expect((await traefik()).http?.routers?.['keeper-2880']).toBeDefined()
    expect((await health()).daemons.find((d) => d.networkId === 2880)).toMatchObject({stale: true, lastSync: null, containers: 2})

    // A killed dockerd's containerd dies after it (parent-death signal). A new dockerd reuses the containerd named
    // by containerd.pid while that pid exists (signal 0 succeeds, also for a zombie not yet reaped) and then times
    // out on its dead socket, so wait, as dockerd will judge, until that pid is gone.
    const containerdPid = Number(readFileSync(join(ROOT, 'x2880', 'containerd', 'containerd.pid'), 'utf8').trim())
    await waitFor('the killed daemon\'s containerd to exit', async () => !processAlive(containerdPid), 30_000)
    await startDaemon(2880)
    // Health is whole again once the daemon answers and the next build has run (refusals and daemon states come
    // from one moment only after that build); a report that stays degraded is shown in the timeout message.
    let lastReport: HealthReport | undefined
    await waitFor(
      'the daemon to answer again and health to be ok',
      async () => {
        const report = (lastReport = await health())
        const d = report.daemons.find((x) => x.networkId === 2880)
        return d && !d.stale && d.error === null && d.containers >= 1 && report.status === 'ok' ? report : undefined
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last /health: ${JSON.stringify(lastReport)}`)
    })
    // The restarted daemon brings `keeper` back (restart: always); it is routed again from the fresh list.
    await waitFor('keeper routed from the fresh list', async () => (await traefik()).http?.routers?.['keeper-2880'], 20_000)
    expect(JSON.parse((await http(PORT, '/routes.json')).body).routes).toContainEqual(expect.objectContaining({router: 'keeper-2880', networkId: 2880}))
    // `web` did not survive its daemon (no restart policy): gone from the daemon's answer, so gone from the routes.
    const fresh = await traefik()
    expect(fresh.http?.routers?.['web-2880']).toBeUndefined()
    expect(fresh.http?.services?.['web-2880']).toBeUndefined()
    expect((await health()).daemons.find((d) => d.networkId === 2880)).toMatchObject({stale: false, containers: 1})
  }, 90_000)

  it('keeps dynamic port allocations across a router restart', async () => {
    const tcp = (router: string) => ({'traefik.enable': 'true', [`traefik.tcp.routers.${router}.rule`]: 'HostSNI(`*`)', 'rediacc.tcp_ports': '7000'})
    run(2880, 'queue', 8, tcp('queue'))
    await waitFor('the first port', async () => (await traefik()).tcp?.routers?.['queue-2880'])
    run(2816, 'cache', 9, tcp('cache'))
    await waitFor('the second port', async () => (await traefik()).tcp?.routers?.['cache-2816'])
    const before = JSON.parse((await http(PORT, '/ports')).body) as PortsReport
    expect(before.allocations.map((a) => [a.entryPoint, a.networkId, a.router, a.idle])).toEqual([
      ['tcp-10000', 2880, 'queue', false],
      ['tcp-10001', 2816, 'cache', false],
    ])
    const bodyBefore = (await http(PORT, '/traefik')).body

    expect(await stopRouter(router.child)).toBe(0)
    expect(router.output()).toContain('"event":"stopped"')
    router = startRouter(PORT, SOCKETS, STATE)
    await waitFor('the restarted router', async () => (await http(PORT, '/traefik').catch(() => ({status: 0}))).status === 200, 15_000)
    const after = JSON.parse((await http(PORT, '/ports')).body) as PortsReport
    expect(after.allocations.map((a) => [a.entryPoint, a.networkId, a.router])).toEqual(before.allocations.map((a) => [a.entryPoint, a.networkId, a.router]))
    expect((await http(PORT, '/traefik')).body).toBe(bodyBefore)
  })

  it('keeps a dynamic port reserved for the grace period after its container is gone, then releases it', async () => {
    const tcp = (router: string) => ({'traefik.enable': 'true', [`traefik.tcp.routers.${router}.rule`]: 'HostSNI(`*`)', 'rediacc.tcp_ports': '7000'})
    docker(2880, ['rm', '-f', 'queue'])
    const gone = Date.now()
    const idle = await waitFor('queue idle', async () => {
      const p = JSON.parse((await http(PORT, '/ports')).body) as PortsReport
      return p.allocations.find((a) => a.router === 'queue' && a.idle) ? p : undefined
    })
    expect(idle.allocations.map((a) => [a.entryPoint, a.router, a.idle])).toEqual([
      ['tcp-10000', 'queue', true],
      ['tcp-10001', 'cache', false],
    ])
    // Inside the grace period the port stays queue's: a newcomer gets the next one.
    run(2880, 'early', 10, tcp('early'))
    const early = await waitFor('early routed', async () => (await traefik()).tcp?.routers?.['early-2880'])
    expect(Date.now() - gone).toBeLessThan(PORT_GRACE_S * 1000)
    expect(early.entryPoints).toEqual(['tcp-10002'])

    // After it, the port is free again (released by the router's own timer, no event needed).
    await waitFor('queue released', async () => {
      const p = JSON.parse((await http(PORT, '/ports')).body) as PortsReport
      return !p.allocations.some((a) => a.router === 'queue')
    }, (PORT_GRACE_S + 6) * 1000)
    expect(Date.now() - gone).toBeGreaterThanOrEqual(PORT_GRACE_S * 1000)
    run(2880, 'late', 11, tcp('late'))
    const late = await waitFor('late routed', async () => (await traefik()).tcp?.routers?.['late-2880'])
    expect(late.entryPoints).toEqual(['tcp-10000'])
    for (const name of ['early', 'late']) docker(2880, ['rm', '-f', name])
  }, 40_000)

  it('follows traefik.yml named by router.yaml: a new TCP entry point is routed without a restart', async () => {
    const dir = join(ROOT, 'follow')
    mkdirSync(dir, {recursive: true})
    const traefikYml = join(dir, 'traefik.yml')
    const writeTraefik = (text: string) => {
      writeFileSync(`${traefikYml}.tmp`, text)
      renameSync(`${traefikYml}.tmp`, traefikYml)
    }

    writeTraefik(renderTraefikYaml({publicIPv4: '203.0.113.50'}))
    const config = join(dir, 'router.yaml')
    writeFileSync(config, [
      'version: 1',
      'machine: follow',
      'baseDomain: example.com',
      `listen: 127.0.0.1:${PORT + 2}`,
      `socketDir: ${SOCKETS}`,
      `stateDir: ${join(dir, 'state')}`,
      `traefikConfig: ${traefikYml}`,
      'dynamicPorts: {tcp: {from: 10000, to: 10010}}',
      '',
    ].join('\n'))
    let out = ''
    const follower = spawn(process.execPath, [BUNDLE, 'router', '--config', config], {stdio: ['ignore', 'pipe', 'pipe']})
    follower.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    follower.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    try {
      await waitFor('the follower to be ready', async () => (await http(PORT + 2, '/traefik').catch(() => ({status: 0}))).status === 200, 15_000)
      const smtpLabels = {'traefik.enable': 'true', 'traefik.tcp.routers.smtp.entrypoints': 'tcp-2525', 'traefik.tcp.routers.smtp.rule': 'HostSNI(`*`)', 'rediacc.tcp_ports': '25'}
      run(2880, 'smtp', 12, smtpLabels)
      const refused = await waitFor('smtp refused on the follower', async () => {
        const h = await health(PORT + 2)
        return h.refusals.find((r) => r.container === 'smtp')
      })
      expect(refused).toMatchObject({kind: 'unknown-entrypoint', networkId: 2880, object: 'smtp'})
      expect((await health(PORT + 2)).entrypoints).toMatchObject({source: 'traefik.yml', file: traefikYml, error: null})

      // push-infra adds the port to traefik.yml (dual-stack now): the router notices the file, no restart.
      const changed = Date.now()
      writeTraefik(renderTraefikYaml({publicIPv4: '203.0.113.50', publicIPv6: '2001:db8::1', tcpPorts: [2525]}))
      const routed = await waitFor('smtp routed on the follower', async () => (await traefik(PORT + 2)).tcp?.routers?.['smtp-2880'], 10_000)
      expect(Date.now() - changed).toBeLessThan(5000)
      expect(routed).toEqual({entryPoints: ['tcp-2525', 'tcp-2525-v6'], rule: 'HostSNI(`*`)', service: 'smtp-2880'})
      const routes = JSON.parse((await http(PORT + 2, '/routes.json')).body) as RoutesReport
      expect(routes.routes.find((r) => r.router === 'smtp-2880')!.entryPoints).toEqual(['tcp-2525', 'tcp-2525-v6'])
      expect((await health(PORT + 2)).refusals.filter((r) => r.container === 'smtp')).toEqual([])
      expect(follower.exitCode).toBeNull()
      expect(out.match(/"event":"started"/g)).toHaveLength(1)
      expect(out).toContain('"event":"entry points changed"')

      // A broken file keeps the last good names (the route stays) and shows in /health.
      writeTraefik('entryPoints: [\n')
      const broken = await waitFor('the error in /health', async () => {
        const h = await health(PORT + 2)
        return h.entrypoints.error === null ? undefined : h
      }, 10_000)
      expect(broken.status).toBe('degraded')
      expect(broken.entrypoints.names).toContain('tcp-2525')
      expect((await traefik(PORT + 2)).tcp?.routers?.['smtp-2880']).toBeDefined()
    } finally {
      docker(2880, ['rm', '-f', 'smtp'])
      const exited = new Promise((resolve) => follower.once('exit', resolve))
      follower.kill('SIGTERM')
      await exited
    }

    // The main router (fixed --entrypoints, no tcp-2525) refused smtp too; with it gone, nothing is refused.
    await waitFor('refusals to clear', async () => (await health()).refusals.length === 0)
  }, 60_000)

  it('does not grow with container churn', async () => {
    const baseline = await health()
    const rssBefore = rssMb(router.child.pid!)
    for (let i = 0; i < 12; i++) {
      run(2816, `churn${i}`, 20 + i, {'rediacc.tcp_ports': '80'})
      await waitFor('churn route', async () => (await traefik()).http?.routers?.[`churn${i}-2816`])
      docker(2816, ['rm', '-f', `churn${i}`])
      await waitFor('churn route gone', async () => !(await traefik()).http?.routers?.[`churn${i}-2816`])
    }

    const after = await health()
    expect(after.counts.containers).toBe(baseline.counts.containers)
    expect(after.skipped.length).toBe(baseline.skipped.length)
    expect(after.counts.routers).toEqual(baseline.counts.routers)
    // What the router keeps per container is dropped with it (plans, claims, refusals); the process may still
    // settle a few MB as V8 sizes its heap, but must not grow with each container.
    expect(rssMb(router.child.pid!) - rssBefore).toBeLessThan(10)
  }, 90_000)

  it('drops a daemon whose socket is gone, with its routes', async () => {
    run(2816, 'last', 30, {'rediacc.tcp_ports': '80'})
    await waitFor('the last route', async () => (await traefik()).http?.routers?.['last-2816'])
    await daemons[2816].stop()
    const h = await waitFor('daemon 2816 to be dropped', async () => {
      const report = await health()
      return report.daemons.some((d) => d.networkId === 2816) ? undefined : report
    }, 10_000)
    expect(h.daemons.map((d) => d.networkId)).toEqual([2880])
    expect((await traefik()).http?.routers?.['last-2816']).toBeUndefined()
    expect(router.output()).toContain('"event":"daemon removed"')
  }, 30_000)
})
