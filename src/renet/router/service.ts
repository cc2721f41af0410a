/**
 * The route server's state: the daemons found in the socket folder, the configuration built from their
 * containers, and the reports. Rebuilds are debounced and only a changed configuration is logged.
 */
import {readFileSync, readdirSync, watch, FSWatcher} from 'node:fs'
import {hostname, networkInterfaces} from 'node:os'
import {join} from 'node:path'

import {isValidNetworkId} from '../../net/network.js'
import {RENET_VERSION} from '../version.js'
import {traefikBody} from './body.js'
import {BootWait, enabledRepositoryDaemons} from './boot-wait.js'
import {BuildResult, ConfigBuilder} from './build.js'
import {DEFAULT_SOCKET_DIR, RouterSettings, httpsEntrypoints} from './config.js'
import {Daemon} from './daemon.js'
import type {PlanSettings} from './plan.js'
import {PortAllocator} from './ports.js'
import {SnapshotEntry, readSnapshot, writeSnapshot} from './snapshot.js'
import {fileStamp, readTraefikEntryPoints} from './traefik-file.js'
import type {EntrypointsStatus, HealthReport, PortsReport, RoutesReport} from './types.js'

const SOCKET_PATTERN = /^docker-(\d+)\.sock$/
/** After this long, serve what is known even if a daemon never answered (its routes are unknown anyway). */
const READY_DEADLINE_MS = 20_000
/** How long a socket must be gone before its daemon and its routes are dropped. */
const SOCKET_GONE_MS = 1500
/** How often traefik.yml's stamp (mtime, size, inode) is looked at; every rebuild looks too. */
const TRAEFIK_FILE_POLL_MS = 2000

export type Logger = (event: string, fields?: Record<string, unknown>) => void

/** Reads a file, or '' when it cannot be read. */
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/**
 * This machine's addresses. os.networkInterfaces() needs a netlink socket, which the unit's
 * RestrictAddressFamilies does not allow; /proc/net has the same facts: IPv4 addresses are the `/32 host LOCAL`
 * entries of fib_trie, IPv6 ones the first column of if_inet6.
 */
function localAddresses(): string[] {
  const out = new Set<string>()
  try {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address)
  } catch {
    // EAFNOSUPPORT under the unit's sandbox: /proc below.
  }

  let previous = ''
  for (const line of readOrEmpty('/proc/net/fib_trie').split('\n')) {
    if (line.includes('/32 host LOCAL')) out.add(previous)
    const m = /[|+]-- ([\d.]+)$/.exec(line)
    if (m) previous = m[1]
  }

  for (const line of readOrEmpty('/proc/net/if_inet6').split('\n')) {
    const hex = line.split(/\s+/)[0]
    if (/^[0-9a-f]{32}$/.test(hex)) out.add(hex.match(/.{4}/g)!.join(':'))
  }

  out.delete('')
  return [...out]
}

/**
 * This machine's addresses and the names that reach it without DNS (its hostname, /etc/hosts), so a forwardAuth
 * address cannot point back at the machine by another spelling. The route server runs in the host's network
 * namespace, as Traefik does (network_mode: host), so both see the same interfaces and hosts file.
 */
function machineIdentity(): {localAddresses: string[]; localNames: string[]} {
  const localNames = [hostname()]
  for (const line of readOrEmpty('/etc/hosts').split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/)
    if (fields.length > 1) localNames.push(...fields.slice(1))
  }

  return {localAddresses: localAddresses(), localNames}
}

export class RouterService {
  private readonly daemons = new Map<string, Daemon>()
  private readonly builder: ConfigBuilder
  readonly ports: PortAllocator
  private watcher: FSWatcher | null = null
  private rescanTimer: NodeJS.Timeout | null = null
  private buildTimer: NodeJS.Timeout | null = null
  private readyTimer: NodeJS.Timeout | null = null
  private tickTimer: NodeJS.Timeout | null = null
  private scanned = false
  private deadlinePassed = false
  private result: BuildResult | null = null
  private body: string | null = null
  private lastChange: Date | null = null
  private invalidSockets = new Set<string>()
  private readonly missingSince = new Map<string, number>()
  private goneTimer: NodeJS.Timeout | null = null
  private readonly snapshot: Map<string, SnapshotEntry>
  private savedVersions = new Map<string, number>()
  private snapshotTimer: NodeJS.Timeout | null = null
  private traefikFileTimer: NodeJS.Timeout | null = null
  /** Stamp of traefik.yml when last read: null when it could not be looked at, undefined before the first look. */
  private traefikFileStamp: string | null | undefined = undefined
  private entrypointsLoaded: boolean
  private entrypointsError: string | null = null
  private entrypointsLoadedAt: Date | null = null
  private readonly bootWait: BootWait
  private bootTimer: NodeJS.Timeout | null = null

  /** `boot.systemdDir`: where enabled daemon units are read (default: /etc/systemd/system for the default socket folder). */
  constructor(
    readonly settings: RouterSettings,
    private readonly log: Logger,
    boot: {systemdDir?: string; boundMs?: number} = {},
  ) {
    this.snapshot = readSnapshot(settings.stateDir)
    const enabled = boot.systemdDir !== undefined || settings.socketDir === DEFAULT_SOCKET_DIR ? enabledRepositoryDaemons(boot.systemdDir) : []
    this.bootWait = new BootWait(enabled.map((networkId) => ({networkId, socket: join(settings.socketDir, `docker-${networkId}.sock`)})), boot.boundMs)
    if (enabled.length > 0) this.log('expecting daemons', {networkIds: enabled, boundMs: this.bootWait.boundMs})
    this.ports = new PortAllocator({stateDir: settings.stateDir, ranges: settings.dynamicPorts, graceMs: settings.portGraceMs})
    this.entrypointsLoaded = settings.entrypointsSource !== 'traefik.yml'
    this.builder = new ConfigBuilder(this.planSettings(), this.ports)
    this.checkTraefikFile()
  }

  private planSettings(): PlanSettings {
    return {
      baseDomain: this.settings.baseDomain,
      entrypoints: this.settings.entrypoints,
      httpsEntrypoints: httpsEntrypoints(this.settings),
      certResolver: this.settings.certResolver,
      ...machineIdentity(),
    }
  }

  /**
   * Reads traefik.yml's entry point names when the file changed (a stat, so cheap enough for every rebuild).
   * A file that cannot be read or parsed keeps the last good names: routes are never dropped because of it,
   * and the error shows in /health. True when the names changed.
   */
  private checkTraefikFile(): boolean {
    const path = this.settings.traefikConfig
    if (path === null || this.settings.entrypointsSource !== 'traefik.yml') return false
    const stamp = fileStamp(path)
    if (stamp === this.traefikFileStamp) return false
    this.traefikFileStamp = stamp
    let names: string[]
    try {
      names = readTraefikEntryPoints(path)
    } catch (error) {
      const message = (error as Error).message
      if (message !== this.entrypointsError) this.log('entry points not read', {file: path, error: message, kept: this.settings.entrypoints.length})
      this.entrypointsError = message
      return false
    }

    this.entrypointsError = null
    this.entrypointsLoadedAt = new Date()
    const first = !this.entrypointsLoaded
    this.entrypointsLoaded = true
    const before = [...this.settings.entrypoints].sort().join(',')
    if ([...names].sort().join(',') === before && !first) return false
    const added = names.filter((n) => !this.settings.entrypoints.includes(n))
    const removed = this.settings.entrypoints.filter((n) => !names.includes(n))
    this.settings.entrypoints = names
    this.builder.setSettings(this.planSettings())
    this.log(first ? 'entry points read' : 'entry points changed', {file: path, count: names.length, ...(first ? {} : {added, removed})})
    return true
  }

  start(): void {
    this.rescan()
    try {
      this.watcher = watch(this.settings.socketDir, () => this.rescan())
      this.watcher.on('error', () => {
        this.watcher?.close()
        this.watcher = null
      })
    } catch {
      // The folder may not exist yet; the periodic rescan picks it up.
    }

    this.rescanTimer = setInterval(() => this.rescan(), this.settings.rescanMs)
    if (this.settings.entrypointsSource === 'traefik.yml') {
      this.traefikFileTimer = setInterval(() => {
        if (this.checkTraefikFile()) this.scheduleBuild()
      }, TRAEFIK_FILE_POLL_MS)
    }

    // Dynamic ports are released by time, not by an event: look again every minute (more often for a short grace).
    this.tickTimer = setInterval(() => this.scheduleBuild(), Math.min(60_000, Math.max(1000, this.settings.portGraceMs / 4)))
    this.readyTimer = setTimeout(() => {
      this.deadlinePassed = true
      this.scheduleBuild()
    }, READY_DEADLINE_MS)
    if (this.bootWait.remainingMs() > 0) this.bootTimer = setTimeout(() => this.scheduleBuild(), this.bootWait.remainingMs() + 5)
  }

  stop(): void {
    if (this.snapshotTimer) this.saveSnapshot()
    // Ports held until now count as held until now: a quick restart finds them well inside the grace period.
    try {
      this.ports.flush()
    } catch (error) {
      this.log('ports not saved', {error: (error as Error).message})
    }

    this.watcher?.close()
    for (const t of [this.rescanTimer, this.buildTimer, this.readyTimer, this.tickTimer, this.snapshotTimer, this.goneTimer, this.traefikFileTimer, this.bootTimer]) if (t) clearTimeout(t)
    for (const d of this.daemons.values()) d.stop()
  }

  private rescan(): void {
    let names: string[]
    try {
      names = readdirSync(this.settings.socketDir)
    } catch {
      names = []
    }

    const found = new Map<string, number>()
    for (const name of names) {
      const m = SOCKET_PATTERN.exec(name)
      if (!m) continue
      const id = Number(m[1])
      if (!isValidNetworkId(id)) {
        if (!this.invalidSockets.has(name)) this.log('socket ignored', {socket: name, reason: 'not a valid network id'})
        this.invalidSockets.add(name)
        continue
      }

      found.set(join(this.settings.socketDir, name), id)
    }

    let changed = false
    const now = Date.now()
    for (const [socket, daemon] of this.daemons) {
      if (found.has(socket)) {
        this.missingSince.delete(socket)
        continue
      }

      // A restarting dockerd unlinks and recreates its socket: only a socket gone for a while means the
      // daemon (and with it its containers) is gone.
      const since = this.missingSince.get(socket) ?? now
      this.missingSince.set(socket, since)
      if (now - since < SOCKET_GONE_MS) {
        this.goneTimer ??= setTimeout(() => {
          this.goneTimer = null
          this.rescan()
        }, SOCKET_GONE_MS)
        continue
      }

      this.missingSince.delete(socket)
      daemon.stop()
      this.daemons.delete(socket)
      this.log('daemon removed', {networkId: daemon.networkId, socket})
      changed = true
    }

    for (const [socket, networkId] of found) {
      if (this.daemons.has(socket)) continue
      const saved = this.snapshot.get(socket)
      const daemon = new Daemon({
        networkId,
        socket,
        resyncMs: this.settings.resyncMs,
        initial: saved?.networkId === networkId ? saved.containers : undefined,
        onChange: () => this.scheduleBuild(),
        log: this.log,
      })
      this.daemons.set(socket, daemon)
      this.log('daemon found', {networkId, socket})
      daemon.start()
      changed = true
    }

    if (!this.scanned || changed) {
      this.scanned = true
      this.scheduleBuild()
    }
  }

  /**
   * Ready once the folder was scanned, the entry points are known, and every daemon answered once (or the
   * start-up deadline passed). Without the entry points every router naming one would be refused: Traefik
   * keeps its last configuration on our 503 instead.
   */
  get ready(): boolean {
    if (!this.scanned || !this.entrypointsLoaded) return false
    if (!this.bootSettled()) return false
    if (this.deadlinePassed) return true
    return [...this.daemons.values()].every((d) => d.known)
  }

  /** Every daemon enabled at start-up has answered, or the boot bound passed (logged once, when it settles). */
  private bootSettled(): boolean {
    const was = this.bootWait.status().settled
    const settled = this.bootWait.settled((socket) => this.daemons.get(socket)?.known)
    if (settled && !was && this.bootWait.expected.length > 0) {
      const s = this.bootWait.status()
      this.log('expected daemons settled', {by: s.settledBy, expected: s.expected})
    }

    return settled
  }

  private scheduleBuild(): void {
    if (this.buildTimer) return
    this.buildTimer = setTimeout(() => {
      this.buildTimer = null
      this.rebuild()
    }, 5)
  }

  /** Builds now (also used by tests and the benchmark). */
  rebuild(): void {
    this.checkTraefikFile()
    if (!this.ready) return
    const result = this.builder.build([...this.daemons.values()].map((d) => ({networkId: d.networkId, containers: d.containers})))
    const body = traefikBody(result.config)
    this.scheduleSnapshot()
    const before = this.result
    this.result = result
    if (body !== this.body) {
      this.body = body
      this.lastChange = new Date()
      this.log('configuration changed', {
        routers: result.counts.routers,
        services: result.counts.services,
        refusals: result.refusals.length,
        bytes: body.length,
      })
    }

    // A refused container often changes nothing in the body: its refusal is logged on its own.
    const known = new Set((before?.refusals ?? []).map((r) => `${r.containerId}/${r.object ?? ''}/${r.reason}`))
    for (const r of result.refusals) if (!known.has(`${r.containerId}/${r.object ?? ''}/${r.reason}`)) this.log('refused', {...r})
  }

  /** Saves the daemons' containers when a set changed, at most every 2 s. */
  private scheduleSnapshot(): void {
    const daemons = [...this.daemons.values()]
    const changed = daemons.length !== this.savedVersions.size || daemons.some((d) => this.savedVersions.get(d.socket) !== d.version)
    if (!changed || this.snapshotTimer) return
    this.snapshotTimer = setTimeout(() => this.saveSnapshot(), 2000)
  }

  private saveSnapshot(): void {
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer)
    this.snapshotTimer = null
    const entries = new Map<string, SnapshotEntry>()
    this.savedVersions = new Map()
    for (const d of this.daemons.values()) {
      entries.set(d.socket, {networkId: d.networkId, containers: d.containers})
      this.savedVersions.set(d.socket, d.version)
    }

    try {
      writeSnapshot(this.settings.stateDir, entries)
    } catch (error) {
      this.log('snapshot not saved', {error: (error as Error).message})
    }
  }

  /** The /traefik body, or null while starting. */
  traefikBody(): string | null {
    const body = this.ready ? this.body : null
    const r = this.result?.counts.routers
    this.bootWait.noteAnswer(body === null || !r ? null : r.http + r.tcp + r.udp)
    return body
  }

  health(): HealthReport {
    const daemons = [...this.daemons.values()].map((d) => d.status()).sort((a, b) => a.networkId - b.networkId)
    const r = this.result
    const degraded = daemons.some((d) => d.error !== null) || (r?.refusals.length ?? 0) > 0 || this.entrypointsError !== null
    return {
      status: this.body === null || !this.ready ? 'starting' : degraded ? 'degraded' : 'ok',
      version: RENET_VERSION,
      machine: this.settings.machine,
      autoRoutes: this.settings.baseDomain !== null && httpsEntrypoints(this.settings).length > 0,
      baseDomain: this.settings.baseDomain,
      counts: {
        daemons: daemons.length,
        containers: daemons.reduce((n, d) => n + d.containers, 0),
        routers: r?.counts.routers ?? {http: 0, tcp: 0, udp: 0},
        services: r?.counts.services ?? {http: 0, tcp: 0, udp: 0},
        middlewares: r?.counts.middlewares ?? 0,
        refusals: r?.refusals.length ?? 0,
        skipped: r?.skipped.length ?? 0,
      },
      daemons,
      refusals: r?.refusals ?? [],
      skipped: r?.skipped ?? [],
      lastChange: this.lastChange?.toISOString() ?? null,
      entrypoints: this.entrypointsStatus(),
      boot: this.bootWait.status(),
    }
  }

  private entrypointsStatus(): EntrypointsStatus {
    return {
      source: this.settings.entrypointsSource,
      file: this.settings.entrypointsSource === 'traefik.yml' ? this.settings.traefikConfig : null,
      names: [...this.settings.entrypoints],
      error: this.entrypointsError,
      loadedAt: this.entrypointsLoadedAt?.toISOString() ?? null,
    }
  }

  routes(): RoutesReport {
    return {routes: this.result?.routes ?? []}
  }

  portsReport(): PortsReport {
    return {ranges: {tcp: this.settings.dynamicPorts.tcp, udp: this.settings.dynamicPorts.udp}, allocations: this.ports.report()}
  }

  /** Sizes of the long-lived structures, for the churn test and the benchmark. */
  sizes(): {daemons: number; plans: number; ports: number} {
    return {daemons: this.daemons.size, plans: this.builder.cachedPlans, ports: this.ports.size}
  }
}
