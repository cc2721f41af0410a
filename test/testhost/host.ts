import {ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {dockerRequest} from '../support/docker-api.js'
import {DOCKER_CLI} from '../support/dockerd.js'
import {BOOT_REPORT_DIR} from './image.js'
import {InstanceLayout} from './instance.js'
import {attachVeth, VethPlan} from './network.js'
import {run, RunResult, runOk, runSync} from './run.js'

/** Every capability docker 20.10 knows except SYS_RESOURCE, BPF, PERFMON and CHECKPOINT_RESTORE (withheld here). */
export const HOST_CAPABILITIES = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER',
  'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD',
  'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN',
  'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_TIME',
  'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
]

export interface OuterDocker {
  /** DOCKER_HOST of the private outer dockerd that runs the test hosts. */
  host: string
  /** Environment for /usr/bin/docker aimed at it. */
  env: NodeJS.ProcessEnv
}

export interface LoadImageOptions {
  /** Dockerfile-style instructions for `docker import --change` (CMD, ENTRYPOINT, ENV, …). */
  changes?: string[]
}

export interface TestHost {
  /** Container name, unique on the machine: rdc-th-<instance>-<n>. Also the host's hostname. */
  name: string
  /** 1-based number within this run. */
  index: number
  /** The host's own address (its end of the veth pair); SSH and test traffic go here. */
  address: string
  /** The host's IPv6 address (unique-local fd72:6463:7468::/48), reachable from this machine like address. */
  address6: string
  /**
   * This machine's end of the host's veth pair (IPv4, IPv6): the only addresses the host can reach. Services the
   * tests run for hosts (the ACME CA, the DNS zone, the Cloudflare API stand-in) listen there.
   */
  peer: string
  peer6: string
  port: 22
  user: 'root'
  /** Private key whose public half is in the host's /root/.ssh/authorized_keys. */
  privateKeyPath: string
  /** The host's SSH host key as an OpenSSH line: "ssh-ed25519 AAAA…", read from the host itself. */
  hostKey: string
  /** OpenSSH-style fingerprint of hostKey: "SHA256:…" (base64 without padding). */
  fingerprint: string
  /** Where this host's /var/lib/docker and /var/lib/rediacc live on this machine. */
  dataDir: string
  docker: OuterDocker
  /** Runs a command inside the host via `docker exec` (independent of SSH); a string goes to `sh -c`. */
  exec(cmd: string[] | string, options?: {input?: string | Buffer; timeoutMs?: number}): Promise<RunResult>
  /** Imports a root filesystem (a folder or a tar file) as image NAME into the host's own dockerd. */
  loadImage(name: string, source: string, options?: LoadImageOptions): Promise<string>
  /**
   * Reboots the host: systemd shuts down (the container stops), the container starts again and boots systemd, and
   * the host gets its veth back with the same addresses (the old pair went with the old network namespace). Resolves
   * when the boot report says "running" again and sshd answers; /run starts empty, disks (the container's own files
   * and the bound folders) are kept, as on a real machine.
   */
  reboot(options?: {timeoutMs?: number}): Promise<void>
}

export interface HostSpec {
  layout: InstanceLayout
  index: number
  image: string
  veth: VethPlan
  docker: OuterDocker
  readyTimeoutMs: number
  /**
   * Lets the host use loop devices on every boot (also after reboot()): the loop majors allowed in its device
   * cgroup and this machine's /dev/loop-control and /dev/loopN made in its /dev by Docker at each start.
   */
  loopDevices?: boolean
  /** Phase timings, for the benchmark and for finding out why a start is slow. */
  trace?: (line: string) => void
}

export function fingerprintOf(hostKey: string): string {
  const blob = Buffer.from(hostKey.trim().split(/\s+/)[1] ?? '', 'base64')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

export function containerName(layout: InstanceLayout, index: number): string {
  return `${layout.containerPrefix}${index}`
}

/** The instance's test key pair, made once and kept (it only ever opens this instance's hosts). */
export async function ensureTestKey(layout: InstanceLayout): Promise<string> {
  if (!existsSync(layout.privateKeyPath)) {
    mkdirSync(layout.dir, {recursive: true})
    rmSync(`${layout.privateKeyPath}.pub`, {force: true})
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `rdc-testhost-${layout.id}`, '-f', layout.privateKeyPath])
  }

  chmodSync(layout.privateKeyPath, 0o600)
  return layout.privateKeyPath
}

/** Creates, seeds, starts and addresses one host, then waits until systemd is running and sshd answers. */
export async function startHost(spec: HostSpec): Promise<TestHost> {
  const {layout, index, docker} = spec
  const t0 = performance.now()
  const mark = (phase: string) => spec.trace?.(`host ${index}: ${phase} at ${Math.round(performance.now() - t0)} ms`)
  const name = containerName(layout, index)
  const dataDir = join(layout.hostsDir, name)
  rmSync(dataDir, {recursive: true, force: true})
  // Docker (outer and nested) needs its data on a real filesystem: overlay on overlay fails.
  mkdirSync(join(dataDir, 'docker'), {recursive: true})
  mkdirSync(join(dataDir, 'rediacc'), {recursive: true})
  await writeAuthorizedKeys(join(dataDir, 'ssh'), layout)

  const [labelKey, labelValue] = layout.label.split('=') as [string, string]
  const bootDir = join(dataDir, 'boot')
  mkdirSync(bootDir, {recursive: true})
  // Through the API rather than `docker run`: no Go CLI process per host while the hosts compete for CPU.
  const socket = docker.host.replace(/^unix:\/\//, '')
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await dockerRequest(socket, method, path, 30_000, body)
    if (r.status >= 300) throw new Error(`${name}: docker ${method} ${path} answered ${r.status}: ${r.body.trim().slice(0, 300)}`)
    return r.body
  }
  await api('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
    Hostname: name,
    Image: spec.image,
    Cmd: ['/lib/systemd/systemd'],
    Labels: {[labelKey]: labelValue},
    StopSignal: 'SIGRTMIN+3',
    HostConfig: {
      NetworkMode: 'none',
      CapAdd: HOST_CAPABILITIES,
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Tmpfs: {'/run': '', '/run/lock': ''},
      ...(spec.loopDevices ? loopDeviceConfig() : {}),
      Binds: [
        '/sys/fs/cgroup:/sys/fs/cgroup:rw',
        `${join(dataDir, 'docker')}:/var/lib/docker`,
        `${join(dataDir, 'rediacc')}:/var/lib/rediacc`,
        // Bound rather than copied in: no docker call per host; still writable, as on a real machine.
        `${join(dataDir, 'ssh')}:/root/.ssh`,
        `${bootDir}:${BOOT_REPORT_DIR}`,
      ],
    },
  })
  const boot = async () => {
    await api('POST', `/containers/${encodeURIComponent(name)}/start`)
    mark('started')
    const inspected = JSON.parse(await api('GET', `/containers/${encodeURIComponent(name)}/json`)) as {State?: {Pid?: number}}
    const pid = Number(inspected.State?.Pid)
    if (!(pid > 0)) throw new Error(`${name}: no pid after start`)
    await attachVeth(pid, spec.veth)
    mark('addressed')
  }
  await boot()

  const exec: TestHost['exec'] = (cmd, options = {}) =>
    run(DOCKER_CLI, ['exec', ...(options.input === undefined ? [] : ['-i']), name, ...(typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd)], {
      env: docker.env,
      input: options.input,
      timeoutMs: options.timeoutMs,
    })

  const hostKey = await waitUntilReady(name, spec.veth.inner, join(bootDir, 'boot'), exec, spec.readyTimeoutMs)
  mark('ready')

  return {
    name,
    index,
    address: spec.veth.inner,
    address6: spec.veth.inner6,
    peer: spec.veth.outer,
    peer6: spec.veth.outer6,
    port: 22,
    user: 'root',
    privateKeyPath: layout.privateKeyPath,
    hostKey,
    fingerprint: fingerprintOf(hostKey),
    dataDir,
    docker,
    exec,
    loadImage: (image, source, options) => loadImageInto(name, docker, image, source, options),
    async reboot(options = {}) {
      const timeoutMs = options.timeoutMs ?? spec.readyTimeoutMs
      rmSync(join(bootDir, 'boot'), {force: true})
      // SIGRTMIN+3 (the container's stop signal) is systemd's halt: units stop in order, then the container exits.
      await dockerRequest(socket, 'POST', `/containers/${encodeURIComponent(name)}/stop?t=${Math.ceil(timeoutMs / 1000)}`, timeoutMs + 10_000).then((r) => {
        if (r.status >= 300 && r.status !== 304) throw new Error(`${name}: docker stop answered ${r.status}: ${r.body.trim().slice(0, 300)}`)
      })
      // The namespace's end went with the namespace, and with it the pair; whatever is left goes before the new one.
      runSync('ip', ['link', 'del', spec.veth.outerName])
      await boot()
      const key = await waitUntilReady(name, spec.veth.inner, join(bootDir, 'boot'), exec, timeoutMs)
      if (key !== hostKey) throw new Error(`${name}: a different host key after the reboot (${key})`)
      mark('rebooted')
    },
  }
}

/** The container settings that give a host loop devices at every start (see HostSpec.loopDevices). */
function loopDeviceConfig(): {Devices: Array<{PathOnHost: string; PathInContainer: string; CgroupPermissions: string}>; DeviceCgroupRules: string[]} {
  const nodes = ['/dev/loop-control', ...Array.from({length: 256}, (_, i) => `/dev/loop${i}`).filter((p) => existsSync(p))]
  return {
    Devices: nodes.map((p) => ({PathOnHost: p, PathInContainer: p, CgroupPermissions: 'rwm'})),
    DeviceCgroupRules: ['b 7:* rwm', 'c 10:237 rwm'],
  }
}

/** /root/.ssh of a host (bind-mounted): the instance's public key in authorized_keys, modes sshd accepts. */
async function writeAuthorizedKeys(dir: string, layout: InstanceLayout): Promise<void> {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  chmodSync(dir, 0o700)
  // ensureTestKey keeps the public half beside the key; deriving it again would be one process per host.
  const pubFile = `${layout.privateKeyPath}.pub`
  const pub = existsSync(pubFile) ? readFileSync(pubFile, 'utf8') : await runOk('ssh-keygen', ['-y', '-f', layout.privateKeyPath])
  writeFileSync(join(dir, 'authorized_keys'), pub, {mode: 0o600})
}

/**
 * Waits for the host's boot report (written by a unit inside once `systemctl is-system-running --wait` returns;
 * see image.ts) and then for sshd's banner. Reading a bound file costs nothing, where polling with `docker exec`
 * would cost the CPU the parallel boots need. Returns the host key as "ssh-ed25519 AAAA…".
 */
async function waitUntilReady(name: string, address: string, reportFile: string, exec: TestHost['exec'], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let state = ''
  let hostKey = ''
  while (Date.now() < deadline) {
    if (existsSync(reportFile)) {
      const lines = readFileSync(reportFile, 'utf8').trim().split('\n')
      state = lines[0]?.trim() ?? ''
      hostKey = (lines[1] ?? '').trim().split(/\s+/).slice(0, 2).join(' ')
      break
    }

    await sleep(20)
  }

  while (state === 'running' && Date.now() < deadline) {
    if (!hostKey.startsWith('ssh-ed25519 ')) throw new Error(`${name}: running, but no ed25519 host key ("${hostKey}")`)
    if (await sshBanner(address)) return hostKey
    await sleep(50)
  }

  const now = (await exec('systemctl is-system-running 2>&1 | head -n 1; systemctl --failed --no-legend --plain', {timeoutMs: 10_000})).stdout.trim().split('\n')
  throw new Error(
    `${name}: not ready after ${Math.round(timeoutMs / 1000)} s (boot report: ${state === '' ? 'none' : `"${state}"`}; systemd says "${now[0] ?? ''}"; ` +
      `failed units: ${now.slice(1).join(', ') || 'none'}; sshd ${(await sshBanner(address)) ? 'answers' : 'does not answer'} on ${address}:22)`,
  )
}

/** True when something at ADDRESS:22 greets with an SSH banner. */
export function sshBanner(address: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: address, port: 22, timeout: timeoutMs})
    let seen = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }

    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      seen += chunk
      if (seen.includes('\n')) done(seen.startsWith('SSH-2.0-'))
    })
    socket.on('timeout', () => done(false))
    socket.on('error', () => done(false))
  })
}

/** Runs `a | b` without a shell; fails if either side fails. */
export async function pipe(a: string[], b: string[], env: NodeJS.ProcessEnv, aEnv: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  const first = spawn(a[0]!, a.slice(1), {env: aEnv, stdio: ['ignore', 'pipe', 'pipe']})
  const second = spawn(b[0]!, b.slice(1), {env, stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  first.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  second.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  second.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  second.stdin.on('error', () => {})
  first.stdout.pipe(second.stdin)
  const closed = (child: ChildProcess) =>
    new Promise<number>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (code) => resolve(code ?? 1))
    })
  const [codeA, codeB] = await Promise.all([closed(first), closed(second)])
  const code = codeA !== 0 ? codeA : codeB
  if (code !== 0) throw new Error(`${a.join(' ')} | ${b.join(' ')} exited with ${code}: ${stderr.trim()}`)
  return {code, stdout, stderr}
}

/** `docker import` a folder or tar file into the dockerd inside host NAME. */
export async function loadImageInto(name: string, docker: OuterDocker, image: string, source: string, options: LoadImageOptions = {}): Promise<string> {
  const changes = (options.changes ?? []).flatMap((c) => ['--change', c])
  const importer = [DOCKER_CLI, 'exec', '-i', name, 'docker', 'import', ...changes, '-', image]
  const producer = statSync(source).isDirectory() ? ['tar', '--numeric-owner', '-C', source, '-c', '.'] : ['cat', source]
  await pipe(producer, importer, docker.env)
  return image
}
