import {cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {resolvePushTargets} from '../../src/infra/push/targets.js'
import {connectMachine} from '../../src/remote/connect.js'
import {pushInfra} from '../../src/infra/push/run.js'
import {addMachine, CONTEXT, ensureBuilt, type Lab, newLab, ROOT} from '../lab/index.js'
import {renetBundle} from '../support/renet-bundle.js'
import {loadTraefikImage, TRAEFIK_IMAGE, startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'

/**
 * push-infra end to end on real test hosts (systemd + sshd + Docker in a container, each with its own address),
 * through the built CLI as a user runs it. Every "nothing changed" claim is checked from the host itself: the
 * router's systemd InvocationID, the proxy container's id and start time, and each file's inode and mtime.
 */

let lab: Lab

const FILES: Record<string, {mode: string; owner: string}> = {
  '/opt/rediacc/proxy/traefik.yml': {mode: '644', owner: 'root:root'},
  '/opt/rediacc/proxy/docker-compose.yml': {mode: '644', owner: 'root:root'},
  '/opt/rediacc/proxy/config.env': {mode: '600', owner: 'root:root'},
  '/opt/rediacc/proxy/letsencrypt/acme.json': {mode: '600', owner: 'root:root'},
  '/etc/rediacc/router.yaml': {mode: '644', owner: 'root:root'},
  '/etc/systemd/system/rediacc-router.service': {mode: '644', owner: 'root:root'},
  '/etc/systemd/system/rediacc-docker@.service': {mode: '644', owner: 'root:root'},
  '/usr/bin/renet': {mode: '755', owner: 'root:root'},
}

interface HostSnapshot {
  routerInvocation: string
  /** Container id and StartedAt: a recreate changes both, a restart the second. */
  proxy: string
  current: string
  /** path → "inode mtime mode owner" */
  files: Record<string, string>
  /** Logins sshd accepted so far (from the journal). */
  logins: number
}

async function snapshot(h: TestHost): Promise<HostSnapshot> {
  const script = [
    'systemctl show -p InvocationID --value rediacc-router',
    "docker inspect -f '{{.Id}} {{.State.StartedAt}}' rediacc-proxy 2>/dev/null || echo none",
    'readlink /usr/lib/rediacc/renet/current || echo none',
    "journalctl -u ssh -o cat --no-pager | grep -c '^Accepted publickey' || true",
    `stat -c '%n|%i %y %a %U:%G' ${Object.keys(FILES).map((f) => `'${f}'`).join(' ')} /usr/lib/rediacc/renet/*/renet.cjs 2>/dev/null || true`,
  ].join('; ')
  const r = await h.exec(script)
  const [routerInvocation, proxy, current, logins, ...stats] = r.stdout.trim().split('\n')
  const files: Record<string, string> = {}
  for (const line of stats) {
    const [path, rest] = line.split('|')
    // current/renet.cjs is the same file as its version's, seen through the link.
    if (!path!.startsWith('/usr/lib/rediacc/renet/current/')) files[path!] = rest!
  }

  return {routerInvocation: routerInvocation!, proxy: proxy!, current: current!, logins: Number(logins), files}
}

/** The built CLI on the lab's context file, or another copy of it (`cli`: its bin/run.js). */
function rdc(args: string[], opts: {cli?: string} = {}) {
  return lab.cli(args, {bin: opts.cli})
}

/** A copy of the built rdc whose package version (and so its renet bundle's) is `version`. */
async function installWithVersion(version: string): Promise<string> {
  const dir = join(lab.dir, `rdc-${version}`)
  mkdirSync(join(dir, 'dist'), {recursive: true})
  for (const p of ['bin', 'dist', 'oclif.manifest.json']) cpSync(join(ROOT, p), join(dir, p), {recursive: true})
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({...pjson, version}, null, 2))
  writeFileSync(join(dir, 'dist/renet.cjs'), await renetBundle(version))
  return join(dir, 'bin/run.js')
}

const changed = (a: HostSnapshot, b: HostSnapshot): string[] => Object.keys(b.files).filter((f) => a.files[f] !== b.files[f]).sort()

describe('rdc context push-infra on real test hosts', () => {
  let h1: TestHost
  let h2: TestHost
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string

  beforeAll(async () => {
    ensureBuilt()
    lab = newLab()
    ;[h1, h2] = await startTestHosts(2)
    // The real Traefik, under the name push-infra's default image has: no proxyImage setting needed.
    await Promise.all([loadTraefikImage(h1), loadTraefikImage(h2)])
    expect((await rdc(['context', 'create', CONTEXT])).code).toBe(0)
    // Both set up as a user does (add-machine with the pinned key, set-infra), which fails the setup on any error;
    // the first push is the first test's.
    for (const [name, h] of [['h1', h1], ['h2', h2]] as const) {
      // h2 stores no Cloudflare token: pushed with a warning, not refused.
      const token = name === 'h1' ? ['--cf-dns-token', 'cf-token-h1-secret', '--no-token-check'] : []
      await addMachine(lab, h, {name, ipv6: false, infra: ['--cert-email', 'ops@example.com', ...token]})
    }
  })

  afterAll(async () => {
    await stopTestHosts()
    lab?.cleanup()
  })

  it('first push (two machines in one command) creates every file with its mode and owner, enables the units, and the router answers /health', async () => {
    const r = await rdc(['context', 'push-infra', 'h1', 'h2', '--no-token-check', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json.machines.map((m: any) => [m.machine, m.status])).toEqual([['h1', 'applied'], ['h2', 'applied']])
    expect(r.json.machines[0].warnings).toBeUndefined()
    expect(r.json.machines[1].warnings).toEqual([expect.stringContaining('h2 has no Cloudflare token')])
    expect(r.stdout).not.toContain('cf-token-h1-secret')
    for (const [name, h] of [['h1', h1], ['h2', h2]] as const) {
      const s = await snapshot(h)
      for (const [path, want] of Object.entries(FILES)) {
        expect(s.files[path], path).toBeDefined()
        expect(s.files[path]!.split(' ').slice(-2), path).toEqual([want.mode, want.owner])
      }
      expect(s.current).toBe(version)
      expect(s.files[`/usr/lib/rediacc/renet/${version}/renet.cjs`]!.split(' ').slice(-2)).toEqual(['755', 'root:root'])
      const state = await h.exec(
        'systemctl is-enabled rediacc-router; systemctl is-active rediacc-router; curl -fsS -m 3 http://127.0.0.1:7111/health | tr -d "\\n"; echo; ' +
          "docker inspect -f '{{.State.Running}} {{.Config.Image}}' rediacc-proxy; curl -fsS -m 3 http://127.0.0.1:8082/ping; echo; " +
          'systemctl show -p NoNewPrivileges -p ProtectSystem -p ProtectHome --value rediacc-router | tr "\\n" " "',
      )
      const lines = state.stdout.trim().split('\n')
      expect(lines.slice(0, 2)).toEqual(['enabled', 'active'])
      expect(JSON.parse(lines[2]!)).toMatchObject({status: 'ok', version, machine: name})
      expect(lines.slice(3, 5)).toEqual([`true ${TRAEFIK_IMAGE}`, 'OK'])
      // The hardening is in force on the running unit, not only written in the file.
      expect(lines[5]!.trim()).toBe('yes strict yes')
    }

    expect((await h1.exec('cat /opt/rediacc/proxy/config.env')).stdout).toContain('CF_DNS_API_TOKEN=cf-token-h1-secret\n')
    expect((await h2.exec('cat /opt/rediacc/proxy/config.env')).stdout).not.toContain('CF_DNS_API_TOKEN')
    const routerYaml = parse((await h1.exec('cat /etc/rediacc/router.yaml')).stdout)
    expect(routerYaml).toMatchObject({machine: 'h1', baseDomain: 'example.com', traefikConfig: '/opt/rediacc/proxy/traefik.yml'})
    expect(routerYaml.entrypoints).toBeUndefined()
    const traefik = parse((await h1.exec('cat /opt/rediacc/proxy/traefik.yml')).stdout)
    expect(traefik.entryPoints.websecure.address).toBe(`${h1.address}:443`)
    expect(traefik.entryPoints['tcp-5432'].address).toBe(`${h1.address}:5432`)
  })

  it('a second push changes nothing: 0 files and 0 bytes sent, no restart, no file touched (seen from the hosts)', async () => {
    const before = await Promise.all([snapshot(h1), snapshot(h2)])
    const r = await rdc(['context', 'push-infra', '--all', '--no-token-check', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json.machines.map((m: any) => [m.machine, m.status, m.filesUploaded, m.bytesUploaded])).toEqual([
      ['h1', 'unchanged', 0, 0],
      ['h2', 'unchanged', 0, 0],
    ])
    const after = await Promise.all([snapshot(h1), snapshot(h2)])
    for (const i of [0, 1]) {
      expect(after[i]!.routerInvocation).toBe(before[i]!.routerInvocation)
      expect(after[i]!.proxy).toBe(before[i]!.proxy)
      expect(after[i]!.files).toEqual(before[i]!.files)
      // One more login each: this push's own connection.
      expect(after[i]!.logins).toBe(before[i]!.logins + 1)
    }
  })

  it('changing the TCP ports touches only traefik.yml and recreates only the proxy', async () => {
    const before = await snapshot(h1)
    expect((await rdc(['context', 'set-infra', 'h1', '--tcp-ports', '2525'])).code).toBe(0)
    const r = await rdc(['context', 'push-infra', 'h1', '--no-token-check', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const m = r.json.machines[0]
    expect([m.status, m.filesUploaded]).toEqual(['applied', 1])
    expect(Object.keys(m.services)).toEqual(['proxy'])
    const after = await snapshot(h1)
    expect(changed(before, after)).toEqual(['/opt/rediacc/proxy/traefik.yml'])
    expect(after.routerInvocation).toBe(before.routerInvocation)
    expect(after.proxy).not.toBe(before.proxy)
    expect(parse((await h1.exec('cat /opt/rediacc/proxy/traefik.yml')).stdout).entryPoints['tcp-2525']).toEqual({address: `${h1.address}:2525`, http: {aliasHeadersStrategy: 'delete'}})
    expect((await h1.exec("docker inspect -f '{{.State.Running}}' rediacc-proxy")).stdout.trim()).toBe('true')
  })

  it('a new renet version restarts only the router and switches `current`', async () => {
    const next = `${version}-next.1`
    const cli = await installWithVersion(next)
    const before = await snapshot(h1)
    const r = await rdc(['context', 'push-infra', 'h1', '--no-token-check', '--json'], {cli})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(Object.keys(r.json.machines[0].services)).toEqual(['router'])
    const after = await snapshot(h1)
    expect(after.current).toBe(next)
    expect(after.routerInvocation).not.toBe(before.routerInvocation)
    expect(after.proxy).toBe(before.proxy)
    expect(changed(before, after)).toEqual([`/usr/lib/rediacc/renet/${next}/renet.cjs`])
    const check = await h1.exec('renet version; curl -fsS -m 3 http://127.0.0.1:7111/health | tr -d "\\n"')
    const [printed, health] = check.stdout.trim().split('\n')
    expect(printed).toBe(next)
    expect(JSON.parse(health!)).toMatchObject({status: 'ok', version: next})
  })

  it('a connection cut in the middle of an upload leaves the previous set intact; a re-run converges', async () => {
    const before = await snapshot(h1)
    const cutVersion = `${version}-cut.1`
    // 24 MB of padding: the upload lasts long enough for the cut to land inside it.
    const renet = {bundle: await renetBundle(cutVersion, 24 * 1024 * 1024), version: cutVersion}
    const {context, targets} = await resolvePushTargets({configPath: lab.config, machines: ['h1']})
    let cut: Promise<unknown> | undefined
    const first = await pushInfra({
      targets,
      renet,
      connect: (t) => connectMachine(t.machineName, t.machine, context),
      onProgress(_machine, message) {
        // Kill this push's sshd session from the host side once the bundle's upload has written its first bytes:
        // a loop inside the host watches for the partial file, so the cut lands inside the upload, never before it.
        if (!cut && message.startsWith(`upload /usr/lib/rediacc/renet/${cutVersion}/`)) {
          cut = h1.exec(
            `i=0; until find /usr/lib/rediacc/renet/${cutVersion} -name '*.rdc-*' -size +64k 2>/dev/null | grep -q .; do i=$((i+1)); [ $i -gt 200000 ] && break; done; ` +
              "for p in $(pgrep -f '^sshd: root'); do kill -KILL $p; done",
            {timeoutMs: 60_000},
          )
        }
      },
    })
    await cut
    expect(cut).toBeDefined()
    expect(first.machines[0]!.status).toBe('failed')
    expect(first.machines[0]!.error?.message).toMatch(/connection|closed|channel|No response|end/i)
    // The cut fell inside the bundle's upload: its partial temp file is still there, and nothing was committed.
    const leftovers = (await h1.exec(`find /usr/lib/rediacc/renet/${cutVersion} -name '*.rdc-*' -printf '%f %s\\n'`)).stdout.trim().split('\n')
    expect(leftovers).toHaveLength(1)
    expect(leftovers[0]).toMatch(/^\.\.renet\.cjs\.rdc-staged\.rdc-[0-9a-f]{8} \d+$/)
    expect(Number(leftovers[0]!.split(' ')[1])).toBeLessThan(renet.bundle.length)
    const during = await snapshot(h1)
    expect(during.current).toBe(before.current)
    expect(during.routerInvocation).toBe(before.routerInvocation)
    expect(during.proxy).toBe(before.proxy)
    for (const [path, stat] of Object.entries(before.files)) expect(during.files[path], path).toBe(stat)
    expect((await h1.exec('curl -fsS -m 3 http://127.0.0.1:7111/health')).code).toBe(0)

    const again = await pushInfra({targets, renet, connect: (t) => connectMachine(t.machineName, t.machine, context)})
    expect(again.machines[0]!.status, JSON.stringify(again.machines[0]!.error)).toBe('applied')
    const after = await snapshot(h1)
    expect(after.current).toBe(cutVersion)
    expect((await h1.exec("find /opt/rediacc /etc/rediacc /usr/lib/rediacc /usr/bin -name '*.rdc-*'")).stdout).toBe('')
    const third = await pushInfra({targets, renet, connect: (t) => connectMachine(t.machineName, t.machine, context)})
    expect([third.machines[0]!.status, third.machines[0]!.bytesUploaded]).toEqual(['unchanged', 0])
  })

  it('a wrong pinned host key is refused with nothing run: no login on the host, no file touched', async () => {
    const add = await rdc(['context', 'add-machine', 'h1-impostor', '--host', h1.address, '--user', 'root', '--key', h1.privateKeyPath, '--host-key', h2.hostKey])
    expect(add.code, add.stderr).toBe(0)
    const set = await rdc(['context', 'set-infra', 'h1-impostor', '--public-ipv4', h1.address, '--allow-private'])
    expect(set.code, set.stderr).toBe(0)
    const before = await snapshot(h1)
    const r = await rdc(['context', 'push-infra', 'h1-impostor', '--no-token-check', '--json'])
    expect(r.code).toBe(1)
    expect(r.json.machines[0].error).toMatchObject({kind: 'hostKey', exitCode: 5})
    expect(r.json.machines[0].error.message).toContain('Nothing was run.')
    const after = await snapshot(h1)
    expect(after.logins).toBe(before.logins)
    expect(after).toEqual(before)
  })
})
