import {spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Client} from 'ssh2'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {configPath} from '../../src/config/paths.js'
import {ConfigStore} from '../../src/config/store.js'
import {ConnectionError, HostKeyError} from '../../src/errors.js'
import {connectSsh, type SshTarget, sshTargetFor} from '../../src/remote/ssh-connect.js'
import {cli} from '../lab/index.js'
import {type LocalSshd, sshKeygen, sshKeygenFingerprint, startLocalSshd} from '../support/local-sshd.js'

// A port of this branch's own (22xxx), on loopback only.
const PORT = 22617
let dir: string
let sshd: LocalSshd | undefined
let client: {privateKeyPath: string; publicKey: string}
let hostA: string
let hostB: string
const saved = {...process.env}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdc-foundation-sshd-'))
  client = sshKeygen(join(dir, 'client_key'))
  hostA = sshKeygen(join(dir, 'host_a')).privateKeyPath
  hostB = sshKeygen(join(dir, 'host_b')).privateKeyPath
  // A home of our own: no ~/.ssh/config or default keys of the machine's user, no agent.
  await mkdir(join(dir, 'home', '.ssh'), {recursive: true})
  process.env.HOME = join(dir, 'home')
  delete process.env.SSH_AUTH_SOCK
  process.env.RDC_CONFIG = join(dir, 'config.yaml')
  delete process.env.RDC_CONTEXT
  delete process.env.RDC_MACHINE
  await writeFile(join(dir, 'package.json'), '{"name": "t"}')
  process.chdir(dir)
})
afterEach(async () => {
  await sshd?.stop()
  sshd = undefined
})
afterAll(async () => {
  process.env = saved
  process.chdir(saved.PWD ?? '/')
  await rm(dir, {recursive: true, force: true})
})

async function run(c: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, stream) => {
      if (err) return reject(err)
      let out = ''
      stream.on('data', (d: Buffer) => {
        out += d.toString()
      })
      stream.on('close', () => resolve(out))
    })
  })
}

async function machineTarget(name: string): Promise<SshTarget> {
  const config = await new ConfigStore(configPath()).read()
  const context = config.contexts.prod
  return {...(await sshTargetFor(context.machines[name], context)), name}
}

describe('host key pinning against a real sshd', () => {
  it('add-machine reads and pins the key, connects with it, refuses a changed key before login, and scan-keys re-pins', async () => {
    sshd = await startLocalSshd({root: join(dir, 'sshd'), port: PORT, hostKeyPath: hostA, authorizedKeys: [client.publicKey]})
    expect((await cli(['context', 'create', 'prod'])).code).toBe(0)
    const added = await cli(['context', 'add-machine', 'server-1', '--host', '127.0.0.1', '--port', String(PORT), '--user', 'root', '--key', client.privateKeyPath, '--json'])
    expect(added.code).toBe(0)
    expect(added.json).toMatchObject({name: 'server-1', scanned: true, fingerprint: sshKeygenFingerprint(`${hostA}.pub`)})
    expect(await readFile(configPath(), 'utf8')).toContain(`hostKey: ${sshd.hostKey}`)
    // Scanning authenticates nothing.
    expect(sshd.log()).not.toMatch(/Accepted publickey/)

    const ok = await connectSsh(await machineTarget('server-1'), {timeoutMs: 10_000})
    expect(await run(ok, 'echo pinned-ok')).toBe('pinned-ok\n')
    ok.end()
    expect(sshd.log()).toMatch(/Accepted publickey for root/)

    // The server is "rebuilt" with another host key.
    await sshd.stop()
    sshd = await startLocalSshd({root: join(dir, 'sshd'), port: PORT, hostKeyPath: hostB, authorizedKeys: [client.publicKey]})
    const error = await connectSsh(await machineTarget('server-1'), {timeoutMs: 10_000}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(HostKeyError)
    const message = (error as HostKeyError).message
    expect(message).toContain(`Expected ${sshKeygenFingerprint(`${hostA}.pub`)}`)
    expect(message).toContain(`received ${sshKeygenFingerprint(`${hostB}.pub`)}`)
    expect((error as HostKeyError).suggestion).toContain('rdc context scan-keys server-1')
    expect((error as HostKeyError).exitCode).toBe(5)
    // Refused inside the key exchange: no login was attempted on the new server.
    expect(sshd.log()).not.toMatch(/Accepted|Failed publickey|userauth/i)

    const scanned = await cli(['context', 'scan-keys', 'server-1'])
    expect(scanned.code).toBe(0)
    expect(scanned.stdout).toContain('Pinned a new host key for "server-1".')
    expect(scanned.stdout).toMatch(new RegExp(`old:\\s+${sshKeygenFingerprint(`${hostA}.pub`).replace(/[+/]/g, '\\$&')}`))
    expect(scanned.stdout).toMatch(new RegExp(`new:\\s+${sshKeygenFingerprint(`${hostB}.pub`).replace(/[+/]/g, '\\$&')}`))
    const again = await connectSsh(await machineTarget('server-1'), {timeoutMs: 10_000})
    expect(await run(again, 'echo repinned-ok')).toBe('repinned-ok\n')
    again.end()
    expect((await cli(['context', 'scan-keys', 'server-1', '--json'])).json).toMatchObject({changed: false})
    // The same through the installed entry point, whose bundle imports ssh2 lazily.
    const viaBin = await cli(['context', 'scan-keys', 'server-1', '--json'], {cwd: dir})
    expect(viaBin.code, viaBin.stderr).toBe(0)
    expect(JSON.parse(viaBin.stdout)).toEqual({machine: 'server-1', oldFingerprint: sshKeygenFingerprint(`${hostB}.pub`), newFingerprint: sshKeygenFingerprint(`${hostB}.pub`), changed: false})
  })

  it('honours a ~/.ssh/config alias (HostName, User, Port, IdentityFile) and ssh-agent', async () => {
    sshd = await startLocalSshd({root: join(dir, 'sshd'), port: PORT, hostKeyPath: hostA, authorizedKeys: [client.publicKey]})
    await writeFile(join(dir, 'home', '.ssh', 'config'), `Host lab-box\n  HostName 127.0.0.1\n  User root\n  Port ${PORT}\n  IdentityFile ${client.privateKeyPath}\n`)
    const added = await cli(['context', 'add-machine', 'aliased', '--host', 'lab-box', '--json'])
    expect(added.json).toMatchObject({host: 'lab-box', user: 'root', port: PORT, scanned: true})
    const target = await machineTarget('aliased')
    expect(target).toMatchObject({host: '127.0.0.1', port: PORT, user: 'root', privateKeyPath: client.privateKeyPath})
    const viaConfig = await connectSsh(target, {timeoutMs: 10_000})
    expect(await run(viaConfig, 'echo alias-ok')).toBe('alias-ok\n')
    viaConfig.end()

    // No key anywhere but in an agent.
    await rm(join(dir, 'home', '.ssh', 'config'))
    const sock = join(dir, 'agent.sock')
    const agent = spawnSync('ssh-agent', ['-a', sock, '-s'], {encoding: 'utf8'})
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1])
    try {
      expect(spawnSync('ssh-add', [client.privateKeyPath], {env: {...process.env, SSH_AUTH_SOCK: sock}}).status).toBe(0)
      process.env.SSH_AUTH_SOCK = sock
      await cli(['context', 'add-machine', 'agent-box', '--host', '127.0.0.1', '--port', String(PORT), '--user', 'root'])
      const agentTarget = await machineTarget('agent-box')
      expect(agentTarget.privateKeyPath).toBeUndefined()
      const viaAgent = await connectSsh(agentTarget, {timeoutMs: 10_000})
      expect(await run(viaAgent, 'echo agent-ok')).toBe('agent-ok\n')
      viaAgent.end()
    } finally {
      delete process.env.SSH_AUTH_SOCK
      if (agentPid > 0) process.kill(agentPid, 'SIGTERM')
    }
  })

  it('reports an unreachable server and a refused login as connection errors (exit 6)', async () => {
    const unreachable = await cli(['context', 'add-machine', 'nobody', '--host', '127.0.0.1', '--port', String(PORT), '--user', 'root', '--json'])
    expect(unreachable.code).toBe(6)
    expect(unreachable.json.error.message).toContain(`127.0.0.1:${PORT}`)
    expect(unreachable.json.error.suggestion).toBeTruthy()

    // server-1 is pinned to host key B by the first test.
    sshd = await startLocalSshd({root: join(dir, 'sshd'), port: PORT, hostKeyPath: hostB, authorizedKeys: []})
    const error = await connectSsh(await machineTarget('server-1'), {timeoutMs: 10_000}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).message).toContain('Login to root@127.0.0.1')
  })
})
