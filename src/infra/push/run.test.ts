import type {Client} from 'ssh2'
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {connectLocalSshd, type LocalSshd, startLocalSshd} from '../../../test/support/local-sshd.js'
import {Secret} from '../../config/secret.js'
import type {Machine} from '../../config/schema.js'
import type {ServerCommands} from './server-commands.js'
import {SshTransport} from '../../remote/transport.js'
import {installCommand, type PushOptions, type PushTarget, pushInfra} from './run.js'

const PORT = 23_473
const BASE = '/tmp/rdc-push-service'

/** File-based systemd/Docker stand-ins per machine root; "tools" are reported present by a fake PATH entry. */
function fake(root: string): Partial<ServerCommands> {
  const f = join(root, 'fake')
  return {
    routerEnabledProbe: `cat ${f}/enabled 2>/dev/null || echo disabled`,
    routerActiveProbe: `cat ${f}/active 2>/dev/null || echo inactive`,
    proxyRunningProbe: `cat ${f}/proxy 2>/dev/null || echo missing`,
    daemonReload: ['sh', '-c', `echo daemon-reload >> ${f}/log`],
    enableRouter: ['sh', '-c', `echo enable >> ${f}/log && echo enabled > ${f}/enabled`],
    restartRouter: ['sh', '-c', `echo restart-router >> ${f}/log && echo active > ${f}/active`],
    recreateProxy: ['sh', '-c', `echo recreate-proxy >> ${f}/log && echo true > ${f}/proxy`],
    systemdProbe: 'echo running',
    listenersProbe: 'true',
    waitRouter: ['true'],
    waitProxy: ['true'],
  }
}

const machine = (infra: Machine['infra']): Machine => ({host: '127.0.0.1', user: 'root', port: PORT, infra})

describe('pushInfra service (real sshd, relocated roots)', () => {
  let sshd: LocalSshd
  const clients: Client[] = []
  const connections: string[] = []

  const targets = (): PushTarget[] =>
    ['m1', 'm2'].map((name) => {
      const root = join(BASE, name)
      return {
        machineName: name,
        machine: machine({publicIPv4: '203.0.113.50', cfDnsApiToken: `token-${name}`, tcpPorts: name === 'm2' ? [2525] : []}),
        root,
        commands: fake(root),
      }
    })

  const options = (over: Partial<PushOptions> = {}): PushOptions => ({
    targets: targets(),
    renet: {bundle: Buffer.from('console.log("renet")\n'), version: '0.5.0'},
    async connect(target) {
      connections.push(target.machineName)
      const c = await connectLocalSshd(sshd)
      clients.push(c)
      return new SshTransport(c, target.machineName)
    },
    concurrency: 2,
    ...over,
  })

  beforeAll(async () => {
    rmSync(BASE, {recursive: true, force: true})
    sshd = await startLocalSshd({root: join(BASE, 'sshd'), port: PORT})
    for (const m of ['m1', 'm2']) mkdirSync(join(BASE, m, 'fake'), {recursive: true})
  })

  afterAll(async () => {
    for (const c of clients) c.destroy()
    await sshd?.stop()
    rmSync(BASE, {recursive: true, force: true})
  })

  it('stops before any change on a machine without systemd, naming what is missing', async () => {
    const real = targets().map((t) => {
      const {systemdProbe: _ignored, ...rest} = t.commands as ServerCommands
      return {...t, commands: {...rest, systemdProbe: '[ -d /run/systemd/system ] && echo running || echo absent'}}
    })
    const runsSystemd = readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd'
    const summary = await pushInfra(options({targets: real.slice(0, 1)}))
    expect(summary.machines[0]!.status).toBe(runsSystemd ? 'applied' : 'failed')
    if (!runsSystemd) {
      expect(summary.machines[0]!.error).toMatchObject({kind: 'usage', exitCode: 2})
      expect(summary.machines[0]!.error?.message).toContain('does not run systemd')
      expect(summary.machines[0]!.files).toEqual([])
    }
    expect(installCommand(['docker', 'node', 'curl']).slice(-3)).toEqual(['docker.io', 'nodejs', 'curl'])
  })

  it('pushes two machines in one run, each with its own files', async () => {
    connections.length = 0
    const summary = await pushInfra(options())
    expect(summary.machines.map((m) => [m.machine, m.status, m.error?.message])).toEqual([
      ['m1', 'applied', undefined],
      ['m2', 'applied', undefined],
    ])
    expect(summary.ok).toBe(true)
    expect(connections.sort()).toEqual(['m1', 'm2'])
    expect(readFileSync(join(BASE, 'm2/opt/rediacc/proxy/traefik.yml'), 'utf8')).toContain('tcp-2525:')
    expect(readFileSync(join(BASE, 'm1/opt/rediacc/proxy/traefik.yml'), 'utf8')).not.toContain('tcp-2525:')
    expect(readFileSync(join(BASE, 'm1/opt/rediacc/proxy/config.env'), 'utf8')).toContain('CF_DNS_API_TOKEN=token-m1\n')
    expect(summary.machines[0]!.services).toHaveProperty('router')
    expect(JSON.stringify(summary)).not.toContain('token-m')
  })

  it('a second run changes nothing and sends nothing', async () => {
    const summary = await pushInfra(options())
    expect(summary.machines.map((m) => [m.status, m.filesUploaded, m.bytesUploaded])).toEqual([
      ['unchanged', 0, 0],
      ['unchanged', 0, 0],
    ])
    expect(readFileSync(join(BASE, 'm1/fake/log'), 'utf8').trim().split('\n')).toEqual(['daemon-reload', 'enable', 'restart-router', 'recreate-proxy'])
  })

  it('--dry-run shows the plan and a masked diff and changes nothing', async () => {
    const changed = targets().map((t) => ({...t, machine: machine({...t.machine.infra, tcpPorts: [993], cfDnsApiToken: 'rotated-token'})}))
    const before = readFileSync(join(BASE, 'm1/opt/rediacc/proxy/config.env'), 'utf8')
    const summary = await pushInfra(options({targets: changed, dryRun: true}))
    const m1 = summary.machines[0]!
    expect(m1.status).toBe('planned')
    expect(m1.files.filter((f) => f.action === 'update').map((f) => f.path.replace(join(BASE, 'm1'), ''))).toEqual([
      '/opt/rediacc/proxy/traefik.yml',
      '/opt/rediacc/proxy/config.env',
    ])
    // A port change is the proxy's business only: router.yaml names traefik.yml, the router restarts for nothing.
    expect(m1.services).toMatchObject({proxy: expect.any(String)})
    expect(m1.services?.router).toBeUndefined()
    expect(m1.diff).toContain('+  tcp-993:\n')
    expect(m1.diff).toContain(`~ ${join(BASE, 'm1')}/opt/rediacc/proxy/config.env: secret values changed (not shown)\n`)
    expect(m1.diff).not.toContain('rotated-token')
    expect(m1.diff).not.toContain('token-m1')
    expect(readFileSync(join(BASE, 'm1/opt/rediacc/proxy/config.env'), 'utf8')).toBe(before)
  })

  it('one machine failing does not stop the other; an unusable machine is never connected to', async () => {
    connections.length = 0
    const [m1, m2] = targets()
    const bad = {...m1!, machine: machine({tcpPorts: [25]})}
    const summary = await pushInfra(options({targets: [bad, m2!]}))
    expect(summary.ok).toBe(false)
    expect(summary.machines.map((m) => m.status)).toEqual(['failed', 'unchanged'])
    expect(summary.machines[0]!.error).toMatchObject({kind: 'usage'})
    expect(connections).toEqual(['m2'])
  })

  it('ports held by another process are reported before anything changes', async () => {
    const root = join(BASE, 'm3')
    mkdirSync(join(root, 'fake'), {recursive: true})
    // systemd-resolved's stub on 127.0.0.53 is no conflict (udp-53 binds the public address); a wildcard one is.
    const ss = [
      `udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=412,fd=13))`,
      `udp UNCONN 0 0 0.0.0.0:53 0.0.0.0:* users:(("systemd-resolve",pid=412,fd=15))`,
    ].join('\n')
    const target: PushTarget = {
      machineName: 'm3',
      machine: machine({publicIPv4: '203.0.113.50'}),
      root,
      commands: {...fake(root), listenersProbe: `echo '${ss}'`},
    }
    const summary = await pushInfra(options({targets: [target]}))
    const m3 = summary.machines[0]!
    expect(m3.status).toBe('failed')
    expect(m3.error).toMatchObject({kind: 'conflict', exitCode: 8})
    expect(m3.error?.message).toContain('udp/53 (udp-53) is held by systemd-resolve (pid 412) on 0.0.0.0')
    expect(m3.error?.suggestion).toContain('DNSStubListener=no')
    expect(m3.conflicts).toHaveLength(1)
    expect(existsSync(join(root, 'opt'))).toBe(false)
  })

  it('uses the RDC_CF_DNS_TOKEN value for machines that store none', async () => {
    const [m1] = targets()
    const noToken = {...m1!, machine: machine({publicIPv4: '203.0.113.50'})}
    const summary = await pushInfra(options({targets: [noToken], cfDnsApiToken: new Secret('from-env')}))
    expect(summary.machines[0]!.status).toBe('applied')
    expect(readFileSync(join(BASE, 'm1/opt/rediacc/proxy/config.env'), 'utf8')).toContain('CF_DNS_API_TOKEN=from-env\n')
  })
})
