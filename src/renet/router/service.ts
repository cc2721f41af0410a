/**
 * The route server's coordinator: the daemons of the sockets the socket folder reports (socket-folder.ts), the
 * configuration built from their containers, readiness, and the reports. The entry point names follow traefik.yml
 * (entrypoints-file.ts) and the containers are kept across restarts (snapshot-store.ts). Rebuilds are debounced
 * and only a changed configuration is logged.
 */
import {join} from 'node:path'

import {SOCKET_DIR} from '../../layout/server.js'
import {RENET_VERSION} from '../version.js'
import {traefikBody} from './body.js'
import {BootWait, enabledRepositoryDaemons} from './boot-wait.js'
import {BuildResult, ConfigBuilder} from './build.js'
import {RouterSettings, httpsEntrypoints} from './config.js'
import {Daemon} from './daemon.js'
import {EntrypointsFile} from './entrypoints-file.js'
import {machineIdentity} from './machine-identity.js'
import type {PlanSettings} from './plan-model.js'
import {PortAllocator} from './ports.js'
import {SnapshotStore} from './snapshot-store.js'
import {type SocketChanges, SocketFolder} from './socket-folder.js'
import type {HealthReport, PortsReport, RoutesReport} from './types.js'

/** After this long, serve what is known even if a daemon never answered (its routes are unknown anyway). */
const READY_DEADLINE_MS = 20_000

export type Logger = (event: string, fields?: Record<string, unknown>) => void

export class RouterService {
  private readonly daemons = new Map<string, Daemon>()
  private readonly builder: ConfigBuilder
  readonly ports: PortAllocator
  private readonly sockets: SocketFolder
  private readonly entrypoints: EntrypointsFile
  private readonly snapshots: SnapshotStore
  private readonly bootWait: BootWait
  private buildTimer: NodeJS.Timeout | null = null
  private readyTimer: NodeJS.Timeout | null = null
  private tickTimer: NodeJS.Timeout | null = null
  private bootTimer: NodeJS.Timeout | null = null
  private deadlinePassed = false
  private result: BuildResult | null = null
  private body: string | null = null
  private lastChange: Date | null = null

  /** `boot.systemdDir`: where enabled daemon units are read (default: /etc/systemd/system for the default socket folder). */
  constructor(
    readonly settings: RouterSettings,
    private readonly log: Logger,
    boot: {systemdDir?: string; boundMs?: number} = {},
  ) {
    this.snapshots = new SnapshotStore(settings.stateDir, () => this.daemons.values(), log)
    const enabled = boot.systemdDir !== undefined || settings.socketDir === SOCKET_DIR ? enabledRepositoryDaemons(boot.systemdDir) : []
    this.bootWait = new BootWait(enabled.map((networkId) => ({networkId, socket: join(settings.socketDir, `docker-${networkId}.sock`)})), boot.boundMs)
    if (enabled.length > 0) this.log('expecting daemons', {networkIds: enabled, boundMs: this.bootWait.boundMs})
    this.ports = new PortAllocator({stateDir: settings.stateDir, ranges: settings.dynamicPorts, graceMs: settings.portGraceMs})
    this.sockets = new SocketFolder({dir: settings.socketDir, rescanMs: settings.rescanMs, log, onScan: (changes) => this.onSockets(changes)})
    this.entrypoints = new EntrypointsFile(settings, log, () => this.builder.setSettings(this.planSettings()))
    this.builder = new ConfigBuilder(this.planSettings(), this.ports)
    this.entrypoints.check()
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

  start(): void {
    this.sockets.start()
    this.entrypoints.start(() => this.scheduleBuild())
    // Dynamic ports are released by time, not by an event: look again every minute (more often for a short grace).
    this.tickTimer = setInterval(() => this.scheduleBuild(), Math.min(60_000, Math.max(1000, this.settings.portGraceMs / 4)))
    this.readyTimer = setTimeout(() => {
      this.deadlinePassed = true
      this.scheduleBuild()
    }, READY_DEADLINE_MS)
    if (this.bootWait.remainingMs() > 0) this.bootTimer = setTimeout(() => this.scheduleBuild(), this.bootWait.remainingMs() + 5)
  }

  stop(): void {
    this.snapshots.flush()
    // Ports held until now count as held until now: a quick restart finds them well inside the grace period.
    try {
      this.ports.flush()
    } catch (error) {
      this.log('ports not saved', {error: (error as Error).message})
    }

    this.sockets.stop()
    this.entrypoints.stop()
    for (const t of [this.buildTimer, this.readyTimer, this.tickTimer, this.bootTimer]) if (t) clearTimeout(t)
    for (const d of this.daemons.values()) d.stop()
  }

  /** A daemon per socket: gone sockets drop theirs (and its routes), new ones start from their saved containers. */
  private onSockets({added, removed, first}: SocketChanges): void {
    for (const socket of removed) {
      const daemon = this.daemons.get(socket)!
      daemon.stop()
      this.daemons.delete(socket)
      this.log('daemon removed', {networkId: daemon.networkId, socket})
    }

    for (const {socket, networkId} of added) {
      const daemon = new Daemon({
        networkId,
        socket,
        resyncMs: this.settings.resyncMs,
        initial: this.snapshots.initial(socket, networkId),
        onChange: () => this.scheduleBuild(),
        log: this.log,
      })
      this.daemons.set(socket, daemon)
      this.log('daemon found', {networkId, socket})
      daemon.start()
    }

    if (first || added.length > 0 || removed.length > 0) this.scheduleBuild()
  }

  /**
   * Ready once the folder was scanned, the entry points are known, and every daemon answered once (or the
   * start-up deadline passed). Without the entry points every router naming one would be refused: Traefik
   * keeps its last configuration on our 503 instead.
   */
  get ready(): boolean {
    if (!this.sockets.scanned || !this.entrypoints.loaded) return false
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
    this.entrypoints.check()
    if (!this.ready) return
    const result = this.builder.build([...this.daemons.values()].map((d) => ({networkId: d.networkId, containers: d.containers})))
    const body = traefikBody(result.config)
    this.snapshots.schedule()
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
    const degraded = daemons.some((d) => d.error !== null) || (r?.refusals.length ?? 0) > 0 || this.entrypoints.failing
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
      entrypoints: this.entrypoints.status(),
      boot: this.bootWait.status(),
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
