import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {TRAEFIK_VERSION} from '../../src/infra/traefik-version.js'
import {dockerPing} from '../support/docker-api.js'
import {writeBusyboxRootfs} from '../support/images.js'
import {cleanupInstance, dockerdPid, instanceContainers} from './cleanup.js'
import {
  BUSYBOX_IMAGE,
  currentTestHosts,
  instanceLayout,
  loadBusyboxImage,
  loadTraefikImage,
  TRAEFIK_IMAGE,
  sshBanner,
  startTestHosts,
  stopTestHosts,
  TestHost,
} from './index.js'
import {auxiliaryInstanceIds, REPO_ROOT} from './instance.js'
import {vethsWithPrefix} from './network.js'

const HOLD = join(REPO_ROOT, 'test/testhost/fixtures/hold-hosts.ts')
/** These tests start hosts inside the test itself; the first run of their instance also imports the image. */
const START_TIMEOUT_MS = 180_000

/** Polls READ until it gives a non-empty string or TIMEOUT passes; returns the last value ('' on timeout). */
async function poll(read: () => Promise<string>, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (value !== '' || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 100))
  }
}

function ssh(host: TestHost, knownHostsLine: string, command: string): {code: number; stdout: string; stderr: string} {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-th-kh-'))
  try {
    writeFileSync(join(dir, 'known_hosts'), `${knownHostsLine}\n`)
    const stdout = execFileSync(
      'ssh',
      ['-i', host.privateKeyPath, '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-p', String(host.port), `${host.user}@${host.address}`, command],
      {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']},
    )
    return {code: 0, stdout, stderr: ''}
  } catch (error) {
    const e = error as {status?: number; stdout?: string; stderr?: string}
    return {code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? ''}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

describe('test hosts', () => {
  let hosts: TestHost[]

  beforeAll(async () => {
    hosts = await startTestHosts(2)
  })

  afterAll(() => stopTestHosts())

  it('boots real systemd with sshd and Docker active', async () => {
    for (const host of hosts) {
      expect((await host.exec(['systemctl', 'is-system-running'])).stdout.trim()).toBe('running')
      expect((await host.exec(['systemctl', 'is-active', 'ssh', 'docker'])).stdout.trim().split('\n')).toEqual(['active', 'active'])
      expect((await host.exec(['hostname'])).stdout.trim()).toBe(host.name)
    }
  })

  it('gives each host its own address, host key and name', () => {
    const [a, b] = hosts as [TestHost, TestHost]
    expect(a.address).toMatch(/^198\.(18|19)\.\d+\.2$/)
    expect(b.address).toMatch(/^198\.(18|19)\.\d+\.6$/)
    expect(a.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/)
    expect(a.hostKey).not.toBe(b.hostKey)
    expect(a.name).not.toBe(b.name)
    expect(a.port).toBe(22)
    expect(a.user).toBe('root')
  })

  it("gives each host an IPv6 address too, answering SSH and bindable inside (dual-stack, as the guide's servers are)", async () => {
    const [a, b] = hosts as [TestHost, TestHost]
    expect(a.address6).toMatch(/^fd72:6463:7468:[0-9a-f]+::2$/)
    expect(b.address6).toMatch(/^fd72:6463:7468:[0-9a-f]+::6$/)
    expect(await sshBanner(a.address6)).toBe(true)
    expect((await a.exec(['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).stdout).toContain(`inet6 ${a.address6}/126`)
  })

  it('accepts SSH with the test key when the pinned host key matches, and refuses a different pinned key', () => {
    const [a, b] = hosts as [TestHost, TestHost]
    const ok = ssh(a, `${a.address} ${a.hostKey}`, 'hostname; id -u')
    expect(ok.code).toBe(0)
    expect(ok.stdout.trim().split('\n')).toEqual([a.name, '0'])

    const wrong = ssh(a, `${a.address} ${b.hostKey}`, 'true')
    expect(wrong.code).toBe(255)
    expect(wrong.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED')
  })

  it('reports the fingerprint OpenSSH computes for the host key', () => {
    const a = hosts[0]!
    const dir = mkdtempSync(join(tmpdir(), 'rdc-th-fp-'))
    writeFileSync(join(dir, 'key.pub'), `${a.hostKey}\n`)
    const line = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'key.pub')], {encoding: 'utf8'})
    rmSync(dir, {recursive: true, force: true})
    expect(line.split(' ')[1]).toBe(a.fingerprint)
  })

  it('runs a --network host container on 127.0.11.x that answers inside its host only', async () => {
    const [a, b] = hosts as [TestHost, TestHost]
    expect(await loadBusyboxImage(a)).toBe(BUSYBOX_IMAGE)
    const run = await a.exec(['docker', 'run', '-d', '--name', 'web', '--network', 'host', BUSYBOX_IMAGE, 'sh', '-c',
      'mkdir -p /srv && echo "hello from $(hostname)" > /srv/index.html && exec httpd -f -p 127.0.11.2:8080 -h /srv'])
    expect(run.code).toBe(0)
    const body = await poll(async () => (await a.exec(['curl', '-sf', 'http://127.0.11.2:8080/'])).stdout.trim())

    expect(body).toBe(`hello from ${a.name}`)
    // Each host has its own loopback: the same address on the other host has nothing behind it.
    expect((await b.exec(['curl', '-sf', '--max-time', '2', 'http://127.0.11.2:8080/'])).code).not.toBe(0)
  })

  it('publishes a port of a bridge-network container (the system dockerd runs without iptables rules)', async () => {
    const a = hosts[0]!
    await loadBusyboxImage(a)
    expect((await a.exec(['docker', 'run', '-d', '--name', 'published', '-p', '127.0.0.1:18080:8080', BUSYBOX_IMAGE, 'sh', '-c',
      'mkdir -p /srv && echo published > /srv/index.html && exec httpd -f -p 8080 -h /srv'])).code).toBe(0)
    const body = await poll(async () => (await a.exec(['curl', '-sf', 'http://127.0.0.1:18080/'])).stdout.trim())

    expect(body).toBe('published')
  })

  it('loads an image from a tar file as well as from a folder', async () => {
    const b = hosts[1]!
    const dir = mkdtempSync(join(tmpdir(), 'rdc-th-tar-'))
    try {
      writeBusyboxRootfs(join(dir, 'rootfs'))
      writeFileSync(join(dir, 'rootfs/etc/flavour'), 'from-a-tar\n')
      execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.'])
      expect(await b.loadImage('rdc-test/from-tar:local', join(dir, 'rootfs.tar'), {changes: ['CMD ["/bin/cat", "/etc/flavour"]']})).toBe('rdc-test/from-tar:local')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }

    const out = await b.exec(['docker', 'run', '--rm', 'rdc-test/from-tar:local'])
    expect(out).toMatchObject({code: 0, stdout: 'from-a-tar\n'})
  })

  it('runs a per-repository dockerd at /var/run/rediacc/docker-2816.sock with data on a real filesystem', async () => {
    const a = hosts[0]!
    expect((await a.exec(['stat', '-f', '-c', '%T', '/var/lib/rediacc'])).stdout.trim()).not.toMatch(/overlay|tmpfs/)
    const started = await a.exec(['systemd-run', '--unit', 'rdc-test-docker-2816', '--collect', 'dockerd',
      '--host', 'unix:///var/run/rediacc/docker-2816.sock', '--data-root', '/var/lib/rediacc/docker-2816',
      '--exec-root', '/var/run/rediacc/exec-2816', '--pidfile', '/var/run/rediacc/docker-2816.pid', '--iptables=false', '--bridge=none'])
    expect(started.code).toBe(0)
    const d = ['docker', '-H', 'unix:///var/run/rediacc/docker-2816.sock']
    const info = await poll(async () => (await a.exec([...d, 'info', '--format', '{{.Driver}}'])).stdout.trim())

    const journal = info === '' ? (await a.exec(['journalctl', '-u', 'rdc-test-docker-2816', '--no-pager', '-n', '20'])).stdout : ''
    expect(info, journal).toBe('overlay2')
    const load = await a.exec(`docker save ${BUSYBOX_IMAGE} | ${d.join(' ')} load`)
    expect(load.code).toBe(0)
    expect((await a.exec([...d, 'run', '-d', '--network', 'host', BUSYBOX_IMAGE, 'sh', '-c',
      'mkdir -p /srv && echo repo-2816 > /srv/index.html && exec httpd -f -p 127.0.11.3:8080 -h /srv'])).code).toBe(0)
    const body = await poll(async () => (await a.exec(['curl', '-sf', 'http://127.0.11.3:8080/'])).stdout.trim())

    expect(body).toBe('repo-2816')
    expect(existsSync(join(a.dataDir, 'rediacc/docker-2816'))).toBe(true)
  }, 90_000)

  it('has Node 18 and docker-compose 1.29 for renet and compose', async () => {
    const a = hosts[0]!
    expect((await a.exec(['node', '--version'])).stdout.trim()).toMatch(/^v18\./)
    expect((await a.exec(['docker-compose', '--version'])).stdout).toContain('1.29.2')
  })

  it('runs the real Traefik image under push-infra\'s default name: the pinned release, answering /ping', async () => {
    const b = hosts[1]!
    expect(await loadTraefikImage(b)).toBe(TRAEFIK_IMAGE)
    expect((await b.exec(['docker', 'run', '--rm', TRAEFIK_IMAGE, 'version'])).stdout).toMatch(new RegExp(`^Version:\\s+${TRAEFIK_VERSION.replaceAll('.', '\\.')}$`, 'm'))
    const started = await b.exec(['docker', 'run', '-d', '--name', 'rediacc-proxy', '--network', 'host', TRAEFIK_IMAGE, '--ping=true', '--entryPoints.traefik.address=127.0.0.1:8082'])
    expect(started.code, started.stderr).toBe(0)
    const body = await poll(async () => (await b.exec(['curl', '-sf', 'http://127.0.0.1:8082/ping'])).stdout)

    expect(body).toBe('OK')
    expect((await b.exec(['docker', 'inspect', '-f', '{{.State.Running}}', 'rediacc-proxy'])).stdout.trim()).toBe('true')
  })

  it('tears down every container, veth pair and the outer dockerd', async () => {
    const session = currentTestHosts()!
    const layout = session.layout
    expect(instanceContainers(layout)).toHaveLength(2)
    expect(vethsWithPrefix(layout.vethPrefix)).toHaveLength(2)
    await stopTestHosts()
    expect(currentTestHosts()).toBeUndefined()
    expect(dockerdPid(layout)).toBeUndefined()
    expect(await dockerPing(layout.dockerdSocket)).toBe(false)
    expect(existsSync(layout.dockerdSocket)).toBe(false)
    expect(vethsWithPrefix(layout.vethPrefix)).toEqual([])
    expect(existsSync(layout.hostsDir)).toBe(false)
    expect(await sshBanner(hosts[0]!.address, 500)).toBe(false)
  })
})

/** Fixture processes still running: the suite's afterAll stops them (a failed test must not leave one holding hosts). */
const holders = new Set<ReturnType<typeof spawn>>()

/**
 * Runs the hold-hosts fixture as another instance and resolves with the process and the hosts it printed. Node
 * itself runs the fixture, with tsx as its loader (`node --import tsx`, from the repository so that `tsx` resolves):
 * tsx's CLI would be a wrapper process with the fixture in a child, so a SIGKILL would kill the wrapper and leave
 * the process that holds the hosts running, an orphan of PID 1.
 */
function holdHosts(instance: string): Promise<{child: ReturnType<typeof spawn>; hosts: Array<{name: string; address: string}>}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', HOLD, '1'], {
      cwd: REPO_ROOT,
      env: {...process.env, RDC_TESTHOST_INSTANCE: instance},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    holders.add(child)
    child.on('exit', () => holders.delete(child))
    let out = ''
    let err = ''
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c
      if (out.includes('\n')) resolve({child, hosts: JSON.parse(out.split('\n')[0]!)})
    })
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c))
    child.on('exit', (code) => reject(new Error(`hold-hosts exited with ${code}: ${err}`)))
  })
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.on('exit', (code) => resolve(code))
  })
}

/** A process as /proc shows it: parent, state and start time (which tells a reused pid from the original). */
function procStat(pid: number): {ppid: number; state: string; start: string} | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0]!, ppid: Number(fields[1]), start: fields[19]!}
  } catch {
    return undefined
  }
}

interface Proc {
  pid: number
  start: string
  /** The command line, words separated by blanks. */
  command: string
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return ''
  }
}

/** Every process below PID right now (its children, theirs, …), with start times and command lines. */
function descendants(pid: number): Proc[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = procStat(Number(name))
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)])
  }
  const found: Proc[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      const stat = procStat(child)
      if (stat) found.push({pid: child, start: stat.start, command: commandLine(child)})
      queue.push(child)
    }
  }
  return found
}

/** Which of PROCESSES still run after up to TIMEOUT (a zombie counts as gone), as "pid command line". */
async function survivors(processes: Proc[], timeoutMs = 15_000): Promise<string[]> {
  const running = () =>
    processes.filter(({pid, start}) => {
      const stat = procStat(pid)
      return stat !== undefined && stat.start === start && stat.state !== 'Z'
    })
  const deadline = Date.now() + timeoutMs
  while (running().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  return running().map(({pid, command}) => `${pid} ${command}`)
}

/** A Node.js process (node, or tsx's CLI, itself a node script). */
function isNode({command}: Proc): boolean {
  return /(^|\/)(node|tsx)(\s|$)/.test(command) || /\/tsx\/dist\/cli\.m?js(\s|$)/.test(command)
}

describe('test hosts of an interrupted or killed run', () => {
  // Its own instance id, derived from this suite's, so it never touches another worktree's hosts.
  const {killed: instance, neighbour: otherInstance} = auxiliaryInstanceIds()
  const layout = instanceLayout('test', {...process.env, RDC_TESTHOST_INSTANCE: instance})
  const otherLayout = instanceLayout('test', {...process.env, RDC_TESTHOST_INSTANCE: otherInstance})

  afterAll(async () => {
    // A test that failed half-way may have left a fixture running: let it tear down, then make sure.
    for (const child of holders) {
      child.kill('SIGTERM')
      const stopped = await Promise.race([exited(child).then(() => true), new Promise((r) => setTimeout(() => r(false), 30_000))])
      if (!stopped) child.kill('SIGKILL')
    }
    cleanupInstance(layout)
    cleanupInstance(otherLayout)
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('removes its hosts when the test process gets %s', async (signal) => {
    const {child, hosts} = await holdHosts(instance)
    expect(hosts).toHaveLength(1)
    expect(await sshBanner(hosts[0]!.address)).toBe(true)
    expect(vethsWithPrefix(layout.vethPrefix)).toHaveLength(1)
    const started = descendants(child.pid!)
    child.kill(signal)
    expect(await exited(child)).toBe(signal === 'SIGINT' ? 130 : 143)
    // Nothing it started (its dockerd, containerd) outlives it.
    expect(await survivors(started)).toEqual([])
    expect(vethsWithPrefix(layout.vethPrefix)).toEqual([])
    expect(dockerdPid(layout)).toBeUndefined()
    expect(existsSync(layout.dockerdSocket)).toBe(false)
  }, START_TIMEOUT_MS)

  it('leaves hosts behind when SIGKILLed; the next cleanup of the same instance removes them and nothing else', async () => {
    // Another instance running side by side, as another worktree's suite would.
    const neighbour = await holdHosts(otherInstance)
    const {child, hosts} = await holdHosts(instance)
    // The signalled pid is the process holding the hosts (not a wrapper): once it is gone, what it started
    // (dockerd, containerd) is all that is left, until the cleanup below.
    const started = descendants(child.pid!)
    child.kill('SIGKILL')
    await exited(child)
    expect(procStat(child.pid!)).toBeUndefined()
    // With tsx's CLI as the signalled process, the fixture ran in its node child, which lived on here.
    expect(await survivors(started.filter(isNode), 2000)).toEqual([])
    expect(dockerdPid(layout)).toBeDefined()
    expect(instanceContainers(layout)).toEqual([hosts[0]!.name])
    expect(vethsWithPrefix(layout.vethPrefix)).toHaveLength(1)
    expect(hosts[0]!.address).not.toBe(neighbour.hosts[0]!.address)

    const report = cleanupInstance(layout)
    expect(report.containers).toEqual([hosts[0]!.name])
    expect(dockerdPid(layout)).toBeUndefined()
    expect(vethsWithPrefix(layout.vethPrefix)).toEqual([])
    expect(existsSync(layout.hostsDir)).toBe(false)
    // Nothing of the killed run survives its cleanup: no fixture process, no dockerd or containerd.
    expect(await survivors(started)).toEqual([])

    expect(instanceContainers(otherLayout)).toEqual([neighbour.hosts[0]!.name])
    expect(await sshBanner(neighbour.hosts[0]!.address)).toBe(true)
    neighbour.child.kill('SIGTERM')
    expect(await exited(neighbour.child)).toBe(143)
  }, START_TIMEOUT_MS)
})

describe('a start that fails', () => {
  afterAll(() => stopTestHosts())

  it('throws with what it saw and leaves no container, veth pair or dockerd behind', async () => {
    const layout = instanceLayout('test')
    await expect(startTestHosts(2, {readyTimeoutMs: 1})).rejects.toThrow(/not ready after 0 s \(boot report: none; systemd says "[^"]+"/)
    expect(currentTestHosts()).toBeUndefined()
    expect(dockerdPid(layout)).toBeUndefined()
    expect(vethsWithPrefix(layout.vethPrefix)).toEqual([])
    expect(existsSync(layout.hostsDir)).toBe(false)
  }, START_TIMEOUT_MS)
})
