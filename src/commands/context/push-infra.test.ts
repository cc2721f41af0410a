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
        staging: {machines: {edge: machine({infra: {publicIPv4: '203.0.113.60', cfDnsApiToken: 'staging-token'}})}},
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
    const routerYaml = readFileSync(join(out, 'etc/rediacc/router.yaml'), 'utf8')
    expect(routerYaml).toContain('traefikConfig: /opt/rediacc/proxy/traefik.yml\n')
    expect(routerYaml).not.toContain('entrypoints')
    expect(json.out[0].warnings).toBeUndefined()
  })

  it('--out with several machines gives each its own folder', async () => {
    const out = join(BASE, 'out-all')
    const r = await rdc(['context', 'push-infra', 'server-1', 'server-2', '--out', out])
    expect(r.exitCode).toBe(0)
    expect(readFileSync(join(out, 'server-2/opt/rediacc/proxy/traefik.yml'), 'utf8')).toContain('"[2001:db8::1]:443"')
    expect(r.stdout).toContain('server-1: 9 files and 1 link written under')
    // server-2 stores no Cloudflare token and none is in the environment: written, with a warning.
    expect(r.stdout).toMatch(/server-2: 9 files and 1 link written under \S+\n  warning: server-2 has no Cloudflare token .*certificates cannot be issued/)
  })

  it('without machines or --all: a usage error naming the machines (exit 2); RDC_MACHINE picks the default', async () => {
    const r = await rdc(['context', 'push-infra', '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout).error).toMatchObject({kind: 'usage', field: 'machine'})
    expect(JSON.parse(r.stdout).error.suggestion).toContain('server-1, server-2')
    const byEnv = await rdc(['context', 'push-infra', '--out', join(BASE, 'by-env'), '--json'], {RDC_MACHINE: 'server-2'})
    expect(byEnv.exitCode).toBe(0)
    expect(JSON.parse(byEnv.stdout).out.map((o: {machine: string}) => o.machine)).toEqual(['server-2'])
  })

  it('machine names and --all together are refused; --context picks another context', async () => {
    const both = await rdc(['context', 'push-infra', 'server-1', '--all', '--json'])
    expect(both.exitCode).toBe(2)
    expect(JSON.parse(both.stdout).error).toMatchObject({kind: 'usage', field: 'all'})
    const staging = await rdc(['context', 'push-infra', '--all', '--context', 'staging', '--out', join(BASE, 'staging'), '--json'])
    expect(staging.exitCode).toBe(0)
    expect(JSON.parse(staging.stdout).out.map((o: {machine: string}) => o.machine)).toEqual(['edge'])
    const typo = await rdc(['context', 'push-infra', 'server-l', '--json'])
    expect(typo.exitCode).toBe(4)
    expect(JSON.parse(typo.stdout).error.suggestion).toContain('Did you mean "server-1"?')
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
    expect(wrong.error.message).toMatch(/^The host key of wrong-key \(127\.0\.0\.1:\d+\) has changed\. Expected SHA256:\S+, received SHA256:\S+\. Nothing was run\.$/)
    // server-1 was reached (right key) and stopped at the preflight: this machine runs no systemd.
    const s1 = summary.machines.find((m: {machine: string}) => m.machine === 'server-1')
    expect(s1.status).toBe('failed')
    expect(s1.error.kind).toBe('usage')
    expect(r.stdout).not.toContain('cmd-secret-token')
  })

  it('an unusable private key is a connection error naming the key and the fix', async () => {
    const r = await rdc(['context', 'push-infra', 'bad-key', '--json'])
    expect(r.exitCode).toBe(1)
    const m = JSON.parse(r.stdout).machines[0]
    expect(m.error).toMatchObject({kind: 'connection', exitCode: 6})
    expect(m.error.message).toContain('Cannot use the private key /etc/hostname')
    expect(m.error.suggestion).toContain('ssh-agent')
  })

  it('plain output names each machine and exits 1 when one failed', async () => {
    const r = await rdc(['context', 'push-infra', 'wrong-key'])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain('wrong-key: connecting')
    expect(r.stdout).toMatch(/wrong-key: FAILED: The host key of wrong-key \(127\.0\.0\.1:\d+\) has changed/)
    expect(r.stdout).toContain('  wrong-key: If the server was deliberately rebuilt, re-pin its key: rdc context scan-keys wrong-key.')
    // The report is the message: no second error on stderr.
    expect(r.stderr).toBe('')
  })

  it('a machine without a Cloudflare token gets a warning in its result and in the human output', async () => {
    const json = await rdc(['context', 'push-infra', 'server-2', '--json'])
    const m = JSON.parse(json.stdout).machines[0]
    expect(m.warnings).toEqual([expect.stringMatching(/^server-2 has no Cloudflare token \(cfDnsApiToken or RDC_CF_DNS_TOKEN\): Let's Encrypt certificates cannot be issued/)])
    // The warning is not the failure: this sshd runs no systemd, which is what stops it.
    expect(m.error.kind).toBe('usage')
    const human = await rdc(['context', 'push-infra', 'server-2'])
    expect(human.stdout).toMatch(/server-2: FAILED: .*\n  warning: server-2 has no Cloudflare token/)
    const withEnv = await rdc(['context', 'push-infra', 'server-2', '--json'], {RDC_CF_DNS_TOKEN: 'env-token-value'})
    expect(JSON.parse(withEnv.stdout).machines[0].warnings).toBeUndefined()
    expect(withEnv.stdout).not.toContain('env-token-value')
  })
})
