import type {Client} from 'ssh2'
import {existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {connectLocalSshd, type LocalSshd, startLocalSshd} from '../../../test/support/local-sshd.js'
import {Secret} from '../../config/secret.js'
import {PUSH_PENDING_PATH} from '../../layout/server.js'
import {type MachineInfraInput, renderMachineInfra} from '../render/render.js'
import {entryPointsFor} from '../../net/entrypoints.js'
import {applyPlan} from './apply.js'
import type {ServerCommands} from './server-commands.js'
import {readRemoteState} from './probe.js'
import type {Plan} from './types.js'
import {buildPlan, probePaths, relocate} from './plan.js'
import {SshTransport, type Transport} from '../../remote/transport.js'

const PORT = 23_472
// Per process: several checkouts of the project may run this suite on one machine at once.
const BASE = `/tmp/rdc-push-apply-${process.pid}`
const ROOT = join(BASE, 'server')
const FAKE = join(ROOT, 'fake')

/**
 * systemd and Docker stand-ins that keep their state in files under the server root, so the test can see from
 * the server side which services were reloaded, restarted or recreated, and make health checks fail on demand.
 */
const fakeCommands: ServerCommands = {
  systemdProbe: 'echo running',
  // This machine's own listeners belong to other work on it, not to the server under test.
  listenersProbe: 'true',
  routerEnabledProbe: `cat ${FAKE}/enabled 2>/dev/null || echo disabled`,
  routerActiveProbe: `cat ${FAKE}/active 2>/dev/null || echo inactive`,
  proxyRunningProbe: `cat ${FAKE}/proxy 2>/dev/null || echo missing`,
  daemonReload: ['sh', '-c', `echo daemon-reload >> ${FAKE}/log`],
  enableRouter: ['sh', '-c', `echo enable >> ${FAKE}/log && echo enabled > ${FAKE}/enabled`],
  restartRouter: ['sh', '-c', `echo restart-router >> ${FAKE}/log && echo active > ${FAKE}/active`],
  recreateProxy: ['sh', '-c', `echo recreate-proxy >> ${FAKE}/log && echo true > ${FAKE}/proxy`],
  // "Healthy" unless the router settings name the machine `broken`.
  waitRouter: ['sh', '-c', `! grep -q 'machine: broken' ${ROOT}/etc/rediacc/router.yaml`],
  waitProxy: ['sh', '-c', `grep -q true ${FAKE}/proxy`],
}

const base: MachineInfraInput = {
  machineName: 'server-1',
  publicIPv4: '203.0.113.50',
  baseDomain: 'example.com',
  certEmail: 'admin@example.com',
  cfDnsApiToken: new Secret('cf-token-0123456789'),
  renetBundle: Buffer.from('#!/usr/bin/env node\nconsole.log("renet 0.1.0")\n'),
  renetVersion: '0.1.0',
}

function serviceLog(): string[] {
  return existsSync(join(FAKE, 'log')) ? readFileSync(join(FAKE, 'log'), 'utf8').trim().split('\n') : []
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8)
}

const server = (p: string): string => relocate(ROOT, p)

describe('plan + apply against a real sshd (server layout under a temp root)', () => {
  let sshd: LocalSshd
  const open: Client[] = []

  async function connect(): Promise<{t: SshTransport; client: Client}> {
    const client = await connectLocalSshd(sshd)
    open.push(client)
    return {t: new SshTransport(client, 'local-sshd'), client}
  }

  async function plan(t: Transport, input: MachineInfraInput): Promise<Plan> {
    const rendered = renderMachineInfra(input)
    const state = await readRemoteState(t, server(PUSH_PENDING_PATH), fakeCommands, probePaths(rendered, ROOT))
    return buildPlan({machine: input.machineName, rendered, state, entryPoints: entryPointsFor(input), root: ROOT, commands: fakeCommands})
  }

  beforeAll(async () => {
    rmSync(BASE, {recursive: true, force: true})
    sshd = await startLocalSshd({root: join(BASE, 'sshd'), port: PORT})
    mkdirSync(FAKE, {recursive: true})
  })

  afterAll(async () => {
    for (const c of open) c.destroy()
    await sshd?.stop()
    rmSync(BASE, {recursive: true, force: true})
  })

  it('first push creates every file with its mode, the link, and starts everything once', async () => {
    const {t} = await connect()
    const p = await plan(t, base)
    expect(p.files.map((f) => f.action)).toEqual(Array(p.files.length).fill('create'))
    expect(p.reasons).toEqual({
      units: 'changed: rediacc-router.service, rediacc-docker@.service',
      router: 'changed: router.yaml, rediacc-router.service, renet.cjs, renet, current',
      proxy: 'changed: traefik.yml, docker-compose.yml, config.env, acme.json',
    })
    const r = await applyPlan(t, p)
    expect(r.error).toBeUndefined()
    expect(r.ok).toBe(true)
    expect(r.filesUploaded).toBe(9)
    expect(r.bytesUploaded).toBe(p.files.reduce((n, f) => n + f.bytes, 0))
    expect(serviceLog()).toEqual(['daemon-reload', 'enable', 'restart-router', 'recreate-proxy'])

    expect(mode(server('/opt/rediacc/proxy/config.env'))).toBe('600')
    expect(readFileSync(server('/opt/rediacc/proxy/config.env'), 'utf8')).toContain('CF_DNS_API_TOKEN=cf-token-0123456789\n')
    expect(mode(server('/opt/rediacc/proxy/letsencrypt/acme.json'))).toBe('600')
    expect(mode(server('/opt/rediacc/proxy/traefik.yml'))).toBe('644')
    expect(mode(server('/usr/bin/renet'))).toBe('755')
    expect(mode(server('/usr/lib/rediacc/renet/0.1.0/renet.cjs'))).toBe('755')
    expect(lstatSync(server('/usr/lib/rediacc/renet/current')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(server('/usr/lib/rediacc/renet/current'))).toBe('0.1.0')
    expect(readFileSync(server('/etc/rediacc/router.yaml'), 'utf8')).toContain('machine: server-1\n')
    expect(existsSync(server(PUSH_PENDING_PATH))).toBe(false)
    const leftovers = readdirSync(server('/opt/rediacc/proxy')).filter((n) => n.includes('.rdc-'))
    expect(leftovers).toEqual([])
  })

  it('second push: every file unchanged, nothing sent, nothing restarted', async () => {
    const {t} = await connect()
    const p = await plan(t, base)
    expect(p.files.map((f) => f.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'kept', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged'])
    expect(p.noop).toBe(true)
    expect(p.steps).toEqual([])
    const r = await applyPlan(t, p)
    expect([r.ok, r.filesUploaded, r.bytesUploaded]).toEqual([true, 0, 0])
    expect(serviceLog()).toEqual(['daemon-reload', 'enable', 'restart-router', 'recreate-proxy'])
  })

  it('acme.json is never overwritten once it exists', async () => {
    const acme = server('/opt/rediacc/proxy/letsencrypt/acme.json')
    const {t} = await connect()
    await t.exec(['sh', '-c', `printf '{"letsencrypt":{}}' > ${acme}`])
    const p = await plan(t, {...base, tcpPorts: [25]})
    expect(p.files.find((f) => f.path === acme)?.action).toBe('kept')
    await applyPlan(t, p)
    expect(readFileSync(acme, 'utf8')).toBe('{"letsencrypt":{}}')
  })

  it('changing TCP ports updates traefik.yml only and recreates only the proxy; no daemon-reload', async () => {
    rmSync(join(FAKE, 'log'), {force: true})
    const {t} = await connect()
    const p = await plan(t, {...base, tcpPorts: [25, 993]})
    expect(p.files.filter((f) => f.action === 'update').map((f) => f.path)).toEqual([server('/opt/rediacc/proxy/traefik.yml')])
    expect(Object.keys(p.reasons)).toEqual(['proxy'])
    const r = await applyPlan(t, p)
    expect(r.ok).toBe(true)
    expect(r.filesUploaded).toBe(1)
    expect(serviceLog()).toEqual(['recreate-proxy'])
    expect(readFileSync(server('/opt/rediacc/proxy/traefik.yml'), 'utf8')).toContain('tcp-993:')
  })

  const v2: MachineInfraInput = {...base, tcpPorts: [25, 993], renetVersion: '0.2.0', renetBundle: Buffer.from('console.log("renet 0.2.0")\n')}

  it('a new renet version restarts only the router and switches `current`', async () => {
    rmSync(join(FAKE, 'log'), {force: true})
    const {t} = await connect()
    const p = await plan(t, v2)
    expect(Object.keys(p.reasons)).toEqual(['router'])
    const r = await applyPlan(t, p)
    expect(r.ok).toBe(true)
    expect(serviceLog()).toEqual(['restart-router'])
    expect(readlinkSync(server('/usr/lib/rediacc/renet/current'))).toBe('0.2.0')
    // The previous version stays for a rollback; nothing older is kept.
    expect(readdirSync(server('/usr/lib/rediacc/renet')).sort()).toEqual(['0.1.0', '0.2.0', 'current'])
  })

  it('a third version prunes all but the current and the previous one', async () => {
    const {t} = await connect()
    const v25 = {...v2, renetVersion: '0.2.5', renetBundle: Buffer.from('console.log("renet 0.2.5")\n')}
    expect((await applyPlan(t, await plan(t, v25))).ok).toBe(true)
    expect(readdirSync(server('/usr/lib/rediacc/renet')).sort()).toEqual(['0.2.0', '0.2.5', 'current'])
    expect((await applyPlan(t, await plan(t, v2))).ok).toBe(true)
    expect(readdirSync(server('/usr/lib/rediacc/renet')).sort()).toEqual(['0.2.0', '0.2.5', 'current'])
    expect(readlinkSync(server('/usr/lib/rediacc/renet/current'))).toBe('0.2.0')
  })

  it('a failed health check restores the previous set and restarts only what was restarted', async () => {
    rmSync(join(FAKE, 'log'), {force: true})
    const before = readFileSync(server('/etc/rediacc/router.yaml'), 'utf8')
    const {t} = await connect()
    const p = await plan(t, {...v2, machineName: 'broken', renetVersion: '0.3.0', renetBundle: Buffer.from('console.log("renet 0.3.0")\n')})
    const r = await applyPlan(t, p)
    expect(r.ok).toBe(false)
    expect(r.failedStep).toBe('wait for rediacc-router /health')
    expect(r.rolledBack).toBe(true)
    expect(r.rollbackFailures).toEqual([])
    expect(serviceLog()).toEqual(['restart-router', 'restart-router'])
    expect(readFileSync(server('/etc/rediacc/router.yaml'), 'utf8')).toBe(before)
    expect(readlinkSync(server('/usr/lib/rediacc/renet/current'))).toBe('0.2.0')
    expect(existsSync(server('/usr/lib/rediacc/renet/0.3.0/renet.cjs'))).toBe(false)
    expect(existsSync(server(PUSH_PENDING_PATH))).toBe(false)
    // And the server is back at exactly the previous set.
    expect((await plan(t, v2)).noop).toBe(true)
  })

  const v3Settings = {...v2, tcpPorts: [25, 993, 2525], cfDnsApiToken: new Secret('cf-token-rotated-0123')}

  it('a connection cut during the uploads leaves the previous set intact; a re-run converges', async () => {
    rmSync(join(FAKE, 'log'), {force: true})
    const traefik = server('/opt/rediacc/proxy/traefik.yml')
    const before = readFileSync(traefik, 'utf8')
    // Two proxy files change (traefik.yml and config.env), so the cut falls between two staged uploads.
    const v3 = {...v2, tcpPorts: [25, 993, 2525], cfDnsApiToken: new Secret('cf-token-rotated-0123')}
    const {t, client} = await connect()
    const p = await plan(t, v3)
    let uploads = 0
    const r = await applyPlan(t, p, {
      onStep(step, phase) {
        // A real cut: the TCP connection is destroyed after the first staged upload.
        if (step.kind === 'upload' && phase === 'done' && ++uploads === 1) client.destroy()
      },
    })
    expect(r.ok).toBe(false)
    expect(r.done.some((l) => l.startsWith('commit'))).toBe(false)
    expect(readFileSync(traefik, 'utf8')).toBe(before)
    expect(serviceLog()).toEqual([])

    const again = await connect()
    const p2 = await plan(again.t, v3)
    expect(p2.files.filter((f) => f.action === 'update').length).toBe(2)
    const r2 = await applyPlan(again.t, p2)
    expect(r2.ok).toBe(true)
    expect(readFileSync(traefik, 'utf8')).toContain('tcp-2525:')
    expect(readdirSync(server('/opt/rediacc/proxy')).filter((n) => n.includes('.rdc-'))).toEqual([])
    expect((await plan(again.t, v3)).noop).toBe(true)
  })

  it('a cut right after the commit leaves pending actions that the next push carries out', async () => {
    rmSync(join(FAKE, 'log'), {force: true})
    // A port change (proxy) and a new base domain (router.yaml, so the router) in one push.
    const v4 = {...v3Settings, tcpPorts: [25, 993, 2526], baseDomain: 'example.org'}
    const {t, client} = await connect()
    const p = await plan(t, v4)
    const r = await applyPlan(t, p, {
      onStep(step, phase) {
        if (step.label.startsWith('commit') && phase === 'done') client.destroy()
      },
    })
    expect(r.ok).toBe(false)
    expect(readFileSync(server('/opt/rediacc/proxy/traefik.yml'), 'utf8')).toContain('tcp-2526:')
    expect(readFileSync(server(PUSH_PENDING_PATH), 'utf8').trim().split('\n')).toEqual(['router', 'proxy'])
    expect(serviceLog()).toEqual([])

    const again = await connect()
    const p2 = await plan(again.t, v4)
    expect(p2.files.every((f) => f.action === 'unchanged' || f.action === 'kept')).toBe(true)
    expect(p2.reasons).toEqual({router: 'a previous push did not finish', proxy: 'a previous push did not finish'})
    const r2 = await applyPlan(again.t, p2)
    expect([r2.ok, r2.bytesUploaded]).toEqual([true, 0])
    expect(serviceLog()).toEqual(['restart-router', 'recreate-proxy'])
    expect(existsSync(server(PUSH_PENDING_PATH))).toBe(false)
    expect((await plan(again.t, v4)).noop).toBe(true)
  })
})
