import {execa} from 'execa'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {type LocalSshd, startLocalSshd} from '../../../test/support/local-sshd.js'

const PORT = 23_474
const BASE = '/tmp/rdc-push-command'
const REPO = new URL('../../..', import.meta.url).pathname
// bin/run.js runs the built CLI (dist/), as users do; the suite builds first when the sources are newer.
const CLI = join(REPO, 'bin/run.js')

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }

  return newest
}

function buildIfStale(): void {
  const built = join(REPO, 'dist/commands/context/push-infra.js')
  const stale = !existsSync(built) || !existsSync(join(REPO, 'dist/renet.cjs')) || newestMtime(join(REPO, 'src')) > statSync(built).mtimeMs
  if (stale) execFileSync('npm', ['run', '--silent', 'build'], {cwd: REPO, stdio: 'inherit'})
}

async function rdc(args: string[], env: Record<string, string> = {}) {
  return execa(CLI, args, {reject: false, cwd: REPO, env: {RDC_CONFIG: join(BASE, 'config.yaml'), ...env}, extendEnv: true})
}

function writeConfig(hostKey: string, keyPath: string): void {
  const machine = (over: object) => ({host: '127.0.0.1', user: 'root', port: PORT, privateKeyPath: keyPath, hostKey, ...over})
  writeFileSync(
    join(BASE, 'config.yaml'),
    stringify({
      version: 1,
      current: 'production',
      contexts: {
        production: {
          machines: {
            'server-1': machine({infra: {publicIPv4: '203.0.113.50', baseDomain: 'example.com', certEmail: 'admin@example.com', cfDnsApiToken: 'cmd-secret-token', tcpPorts: [25]}}),
            'server-2': machine({infra: {publicIPv6: '2001:db8::1'}}),
            'bad-key': machine({privateKeyPath: '/etc/hostname', infra: {publicIPv4: '203.0.113.52'}}),
            'wrong-key': machine({hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', infra: {publicIPv4: '203.0.113.51'}}),
          },
        },
      },
    }),
    {mode: 0o600},
  )
}

describe('rdc context push-infra', () => {
  let sshd: LocalSshd

  beforeAll(async () => {
    buildIfStale()
    rmSync(BASE, {recursive: true, force: true})
    mkdirSync(BASE, {recursive: true})
    sshd = await startLocalSshd({root: join(BASE, 'sshd'), port: PORT})
    writeConfig(sshd.hostKey, sshd.clientKeyPath)
  })

  afterAll(async () => {
    await sshd?.stop()
    rmSync(BASE, {recursive: true, force: true})
  })

  it('--out writes the server layout locally and connects to nothing', async () => {
    const out = join(BASE, 'out')
    const r = await rdc(['context', 'push-infra', 'server-1', '--out', out, '--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.out[0].machine).toBe('server-1')
    expect(json.out[0].files.map((f: {path: string}) => f.path)).toContain('/opt/rediacc/proxy/traefik.yml')
    expect(r.stdout).not.toContain('cmd-secret-token')
    expect(readFileSync(join(out, 'opt/rediacc/proxy/traefik.yml'), 'utf8')).toContain('"203.0.113.50:443"')
    expect(readFileSync(join(out, 'opt/rediacc/proxy/config.env'), 'utf8')).toContain('CF_DNS_API_TOKEN=cmd-secret-token\n')
    expect(statSync(join(out, 'opt/rediacc/proxy/config.env')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(out, 'etc/rediacc/router.yaml'), 'utf8')).toContain('entrypoints: [web, websecure, tcp-25,')
  })

  it('--out with several machines gives each its own folder', async () => {
    const out = join(BASE, 'out-all')
    const r = await rdc(['context', 'push-infra', 'server-1', 'server-2', '--out', out])
    expect(r.exitCode).toBe(0)
    expect(readFileSync(join(out, 'server-2/opt/rediacc/proxy/traefik.yml'), 'utf8')).toContain('"[2001:db8::1]:443"')
    expect(r.stdout).toContain('server-1: 9 files and 1 link written under')
  })

  it('without machines or --all: a usage error, exit 2', async () => {
    const r = await rdc(['context', 'push-infra', '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout).error).toMatchObject({kind: 'usage', field: 'machines'})
  })

  it('--out cannot be combined with --dry-run', async () => {
    const r = await rdc(['context', 'push-infra', 'server-1', '--out', join(BASE, 'x'), '--dry-run'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--dry-run=true cannot also be provided when using --out/)
  })

  it('an unknown machine: exit 4', async () => {
    const r = await rdc(['context', 'push-infra', 'nope', '--json'])
    expect(r.exitCode).toBe(4)
  })

  it('a wrong pinned host key is refused before anything runs; other machines still report; exit 1 with a JSON summary', async () => {
    const r = await rdc(['context', 'push-infra', 'wrong-key', 'server-1', '--json'])
    expect(r.exitCode).toBe(1)
    const summary = JSON.parse(r.stdout)
    expect(summary.ok).toBe(false)
    const wrong = summary.machines.find((m: {machine: string}) => m.machine === 'wrong-key')
    expect(wrong.status).toBe('failed')
    expect(wrong.error).toMatchObject({kind: 'hostKey', exitCode: 5})
    expect(wrong.error.message).toMatch(/presented host key SHA256:\S+, not the pinned SHA256:/)
    // server-1 was reached (right key) and stopped at the preflight: this machine runs no systemd.
    const s1 = summary.machines.find((m: {machine: string}) => m.machine === 'server-1')
    expect(s1.status).toBe('failed')
    expect(s1.error.kind).toBe('usage')
    expect(r.stdout).not.toContain('cmd-secret-token')
  })

  it('an unusable private key is a usage error naming the field', async () => {
    const r = await rdc(['context', 'push-infra', 'bad-key', '--json'])
    expect(r.exitCode).toBe(1)
    const m = JSON.parse(r.stdout).machines[0]
    expect(m.error).toMatchObject({kind: 'usage', exitCode: 2})
    expect(m.error.message).toContain('Cannot use the SSH key /etc/hostname for bad-key')
  })

  it('plain output names each machine and exits 1 when one failed', async () => {
    const r = await rdc(['context', 'push-infra', 'wrong-key'])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain('wrong-key: connecting')
    expect(r.stdout).toMatch(/wrong-key: FAILED: wrong-key \(127\.0\.0\.1\) presented host key/)
    expect(r.stderr).toContain('1 of 1 machine(s) failed: wrong-key.')
  })
})
