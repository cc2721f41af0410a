import {mkdirSync} from 'node:fs'

import {PrivateDockerd, startPrivateDockerd} from '../support/dockerd.js'
import {cleanupInstance} from './cleanup.js'
import {ensureHostImage, ensureImageCache} from './image.js'
import {claimSubnet, InstanceLayout, instanceLayout, InstanceRole} from './instance.js'
import {vethPlan} from './network.js'
import {ensureTestKey, startHost, TestHost} from './host.js'
import {ensureTools} from './tools.js'

export type {TestHost, OuterDocker, LoadImageOptions} from './host.js'
export {fingerprintOf, sshBanner} from './host.js'
export {cleanupInstance} from './cleanup.js'
export {instanceLayout} from './instance.js'
export {dockerdPid, instanceContainers} from './cleanup.js'
export {BUSYBOX_IMAGE, loadBusyboxImage, loadNodeImage, loadUdpEchoImage, NODE_IMAGE, UDP_ECHO_IMAGE} from './images.js'
export {loadTraefikImage, TRAEFIK_IMAGE} from '../support/traefik/image.js'

export interface StartOptions {
  /** 'test' (default) for suites; 'cli' for hosts a person brings up with `npm run testhost` or the demo. */
  role?: InstanceRole
  /** Progress lines (image build, import, boot); default silent. */
  log?: (line: string) => void
  /** How long one host may take to reach "running" with sshd answering; default 120 s. */
  readyTimeoutMs?: number
  /**
   * Tear down on SIGINT/SIGTERM and at process exit (default true). The CLI turns it off for `up`, whose hosts
   * must outlive it.
   */
  teardownOnExit?: boolean
  /** Phase timings of the start (dockerd, each host's create/seed/start/address/ready). */
  trace?: (line: string) => void
  /** Loop devices on every boot, reboot() included (image-backed repositories that mount at boot). */
  loopDevices?: boolean
}

export interface TestHostSession {
  layout: InstanceLayout
  subnet: string
  dockerd: PrivateDockerd
  hosts: TestHost[]
  image: string
  stop(): Promise<void>
}

let current: TestHostSession | undefined
let handlersFor: InstanceLayout | undefined

function onSignal(signal: NodeJS.Signals): void {
  if (handlersFor) cleanupInstance(handlersFor)
  process.exit(signal === 'SIGINT' ? 130 : 143)
}

function onExit(): void {
  if (handlersFor) cleanupInstance(handlersFor)
}

function installHandlers(layout: InstanceLayout): void {
  handlersFor = layout
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', onExit)
}

function removeHandlers(): void {
  handlersFor = undefined
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.off('exit', onExit)
}

/**
 * Starts N test hosts (each a container booting real systemd, sshd and Docker, with its own veth address) on this
 * instance's private dockerd, and resolves when every one is "running" and answers SSH. Builds or reuses the
 * cached image first. One session per process: call stopTestHosts() before starting again.
 */
export async function startTestHosts(n: number, options: StartOptions = {}): Promise<TestHost[]> {
  return (await startTestHostSession(n, options)).hosts
}

export async function startTestHostSession(n: number, options: StartOptions = {}): Promise<TestHostSession> {
  if (!Number.isInteger(n) || n < 1 || n > 63) throw new Error(`startTestHosts: n must be 1..63, got ${n}`)
  if (current) throw new Error('test hosts are already running in this process; call stopTestHosts() first')
  if (process.getuid?.() !== 0) throw new Error('test hosts need root (veth pairs, dockerd, debootstrap)')
  const log = options.log ?? (() => {})
  const layout = instanceLayout(options.role ?? 'test')
  await ensureTools(log)
  const cache = await ensureImageCache(log)
  if (cache.built) log(`built the test-host image in ${cache.meta.buildSeconds} s`)

  const stale = cleanupInstance(layout)
  if (stale.containers.length + stale.veths.length > 0 || stale.dockerdPid !== undefined) {
    log(`removed what an earlier run of instance ${layout.id} left: ${JSON.stringify(stale)}`)
  }

  if (options.teardownOnExit !== false) installHandlers(layout)
  let dockerd: PrivateDockerd | undefined
  try {
    const subnet = claimSubnet(layout.id)
    await ensureTestKey(layout)
    mkdirSync(layout.hostsDir, {recursive: true})
    const t0 = performance.now()
    dockerd = await startPrivateDockerd({root: layout.dockerdRoot, socket: layout.dockerdSocket, execRoot: layout.dockerdExecRoot})
    options.trace?.(`outer dockerd answered after ${Math.round(performance.now() - t0)} ms`)
    const docker = {host: dockerd.host, env: dockerd.env}
    const image = await ensureHostImage(docker.env, cache.tarPath)
    if (image.imported) log(`imported ${image.name} into the outer dockerd`)
    const readyTimeoutMs = options.readyTimeoutMs ?? 120_000
    // allSettled, not all: when one host fails, the others must finish their steps before the cleanup below runs,
    // or a late `ip link add` could leave a veth pair behind it.
    const results = await Promise.allSettled(
      Array.from({length: n}, (_, i) =>
        startHost({layout, index: i + 1, image: image.name, veth: vethPlan(layout.vethPrefix, subnet, i + 1), docker, readyTimeoutMs, trace: options.trace, loopDevices: options.loopDevices}),
      ),
    )
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failure) throw failure.reason
    const hosts = results.map((r) => (r as PromiseFulfilledResult<TestHost>).value)
    const session: TestHostSession = {layout, subnet, dockerd, hosts, image: image.name, stop: stopTestHosts}
    current = session
    return session
  } catch (error) {
    cleanupInstance(layout)
    removeHandlers()
    throw error
  }
}

/** Removes every host, veth pair and the outer dockerd this process started. Safe to call when none run. */
export async function stopTestHosts(): Promise<void> {
  const session = current
  current = undefined
  if (session) cleanupInstance(session.layout)
  removeHandlers()
}

/** The running session of this process, if any. */
export function currentTestHosts(): TestHostSession | undefined {
  return current
}
