/**
 * A machine ready for repositories, set up the way a user does it: a test host (real systemd, sshd, Docker),
 * then the real CLI — context create, add-machine (pinned key), set-infra, push-infra with the real Traefik.
 * Shared by test/repo/*.test.ts and bench/repo.ts.
 */
import {type ChildProcess, execFile, spawn, spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {writeBusyboxRootfs} from '../support/images.js'
import {loadTraefikImage, type TestHost} from '../testhost/index.js'
import {DOCKER_CLI} from '../support/dockerd.js'

export const ROOT = new URL('../..', import.meta.url).pathname
export const MACHINE = 'm1'
export const CONTEXT = 'lab'

export interface Lab {
  dir: string
  config: string
  /** Runs the built CLI as a child process (what a user or CI job runs): exit code, stdout, stderr. */
  cli: (args: string[], opts?: {cwd?: string}) => Promise<{code: number; stdout: string; stderr: string; json?: any}>
  /** A copy of examples/<name> (or any folder) to deploy from. */
  copyExample: (name: string, as?: string) => string
  cleanup: () => void
}

/** The built CLI's argv and environment for a lab: its own context file, nothing from the caller's RDC_*. */
function cliArgv(config: string, args: string[]): string[] {
  return [join(ROOT, 'bin/run.js'), ...args, '--config', config]
}

function cliEnv(config: string): NodeJS.ProcessEnv {
  return {...process.env, RDC_CONTEXT: '', RDC_MACHINE: '', RDC_CONFIG: config}
}

export function newLab(): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-repo-lab-'))
  const config = join(dir, 'config.yaml')
  const run = promisify(execFile)
  return {
    dir,
    config,
    async cli(args, opts = {}) {
      try {
        const r = await run(process.execPath, cliArgv(config, args), {cwd: opts.cwd ?? dir, env: cliEnv(config), maxBuffer: 64 * 1024 * 1024})
        return withJson(args, {code: 0, stdout: r.stdout, stderr: r.stderr})
      } catch (error) {
        const e = error as {code?: number; stdout?: string; stderr?: string}
        return withJson(args, {code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error)})
      }
    },
    copyExample(name, as = name) {
      const to = join(dir, 'src', as)
      cpSync(existsSync(name) ? name : join(ROOT, 'examples', name), to, {recursive: true})
      return to
    },
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  }
}

function withJson(args: string[], r: {code: number; stdout: string; stderr: string}): {code: number; stdout: string; stderr: string; json?: any} {
  if (!args.includes('--json') || !r.stdout.trim()) return r
  return {...r, json: JSON.parse(r.stdout)}
}

/**
 * context create, add-machine, set-infra, push-infra: the machine as a user would set it up, running the real
 * Traefik (imported under push-infra's default image name). Dual-stack, on the host's own addresses, so the guide's
 * `websecure,websecure-v6` entry points both exist and bind.
 */
export async function setUpMachine(lab: Lab, host: TestHost, extraInfra: string[] = []): Promise<void> {
  await loadTraefikImage(host)
  const steps: string[][] = [
    ['context', 'create', CONTEXT, '--use'],
    ['context', 'add-machine', MACHINE, '--host', host.address, '--user', host.user, '--key', host.privateKeyPath, '--host-key', host.hostKey],
    ['context', 'set-infra', MACHINE, '--public-ipv4', host.address, '--public-ipv6', host.address6, '--allow-private', '--base-domain', 'example.com', ...extraInfra],
    ['context', 'push-infra', MACHINE],
  ]
  for (const args of steps) await expectOk(lab, args)
}

async function expectOk(lab: Lab, args: string[]): Promise<void> {
  const r = await lab.cli(args)
  if (r.code !== 0) throw new Error(`rdc ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
}

let busyboxTar: Buffer | undefined

/**
 * Puts the busybox test image into a repository's own daemon (separate from the host's system dockerd): starts
 * rediacc-docker@<id> the way repo up would and `docker import`s the image there. The daemon keeps its images
 * across stop and start.
 */
export async function importImageIntoRepoDaemon(host: TestHost, networkId: number): Promise<void> {
  if (!busyboxTar) {
    const root = mkdtempSync(join(tmpdir(), 'rdc-repo-busybox-'))
    try {
      writeBusyboxRootfs(root)
      const tar = spawnSync('tar', ['-C', root, '-c', '.'], {maxBuffer: 64 * 1024 * 1024})
      if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`)
      busyboxTar = tar.stdout
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  }

  const sock = `/var/run/rediacc/docker-${networkId}.sock`
  const r = await host.exec(
    ['sh', '-c', `systemctl start rediacc-docker@${networkId} && docker -H unix://${sock} import --change 'CMD ["/bin/sh"]' - rdc-test/busybox:local >/dev/null`],
    {input: busyboxTar, timeoutMs: 120_000},
  )
  if (r.code !== 0) throw new Error(`importing the busybox image into docker-${networkId} failed: ${r.stderr}`)
}

/**
 * Lets the host use loop devices: the container's device cgroup (v1, here) refuses block devices, so the loop
 * majors are allowed on its cgroup and every one below it (children copy only at creation), and the device nodes
 * are made inside. Returns false when this machine has no v1 device cgroup to do it with.
 */
export async function giveLoopDevices(host: TestHost): Promise<boolean> {
  const id = spawnSync(DOCKER_CLI, ['inspect', '-f', '{{.Id}}', host.name], {env: host.docker.env, encoding: 'utf8'}).stdout.trim()
  const base = `/sys/fs/cgroup/devices/docker/${id}`
  if (!id || !existsSync(base)) return false
  const walk = (dir: string): string[] => [dir, ...readdirSync(dir, {withFileTypes: true}).filter((e) => e.isDirectory()).flatMap((e) => walk(join(dir, e.name)))]
  for (const cg of walk(base)) {
    for (const rule of ['b 7:* rwm', 'c 10:237 rwm']) writeFileSync(join(cg, 'devices.allow'), rule)
  }

  const r = await host.exec('[ -e /dev/loop-control ] || mknod -m 660 /dev/loop-control c 10 237; for i in $(seq 0 127); do [ -e /dev/loop$i ] || mknod -m 660 /dev/loop$i b 7 $i; done; losetup -f')
  return r.code === 0
}

export {type TestHost} from '../testhost/index.js'

export interface SpawnedCli {
  child: ChildProcess
  pid: number
  /** Resolves with stderr so far once it matches (progress lines go to stderr); rejects if the run ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  exit: Promise<number | null>
}

/** The built CLI as a child process that a test can watch and kill while it runs. */
export function spawnCli(lab: Lab, args: string[]): SpawnedCli {
  const child = spawn(process.execPath, cliArgv(lab.config, args), {cwd: lab.dir, env: cliEnv(lab.config), stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stdout!.resume()
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return {
    child,
    pid: child.pid!,
    exit,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      let ended = false
      void exit.then(() => (ended = true))
      while (!pattern.test(stderr)) {
        if (ended || Date.now() > deadline) throw new Error(`rdc ${args.join(' ')}: no ${pattern} in its output${ended ? ' before it ended' : ''}:\n${stderr}`)
        await new Promise((r) => setTimeout(r, 50))
      }

      return stderr
    },
  }
}
