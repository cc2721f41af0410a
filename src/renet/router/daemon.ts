/**
 * One repository daemon: lists its running containers, follows its events (each event triggers a fresh list,
 * which is cheap and cannot drift), and resyncs at an interval. When it stops answering its last known
 * containers are kept and it is marked stale; routes only change when it answers again.
 */
import {EventStream, followEvents, inspectCreated, listContainers} from './docker.js'
import type {ContainerInfo, DaemonStatus} from './types.js'

export interface DaemonOptions {
  networkId: number
  socket: string
  resyncMs: number
  /** Containers it had when the router last ran (containers.json): served until the daemon answers. */
  initial?: ContainerInfo[]
  /** Called whenever the container set may have changed. */
  onChange(): void
  log(event: string, fields: Record<string, unknown>): void
}

const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 5000

export class Daemon {
  containers: ContainerInfo[] = []
  lastSync: Date | null = null
  error: string | null = null
  /** True once a list has succeeded (or failed) at least once: discovery of this daemon has been attempted. */
  attempted = false
  /** True while the containers come from the saved snapshot rather than from the daemon itself. */
  fromSnapshot = false
  /** Goes up whenever the container set changes (for saving the snapshot). */
  version = 0
  private stream: EventStream | null = null
  private resyncTimer: NodeJS.Timeout | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private listTimer: NodeJS.Timeout | null = null
  private retryMs = RETRY_MIN_MS
  private listing = false
  private listAgain = false
  private stopped = false
  private signature = ''
  /** Exact creation times by container id, kept only for containers still listed. */
  private readonly created = new Map<string, number>()

  constructor(private readonly options: DaemonOptions) {
    if (options.initial !== undefined) {
      this.containers = options.initial
      this.fromSnapshot = true
      for (const c of options.initial) this.created.set(c.id, c.created)
    }
  }

  get networkId(): number {
    return this.options.networkId
  }

  get socket(): string {
    return this.options.socket
  }

  get stale(): boolean {
    return this.error !== null && (this.lastSync !== null || this.fromSnapshot)
  }

  /** Its containers are known: it answered, or it failed and the snapshot stands in for it. */
  get known(): boolean {
    return this.lastSync !== null || (this.attempted && this.fromSnapshot)
  }

  start(): void {
    this.connect()
    this.resyncTimer = setInterval(() => void this.list(), this.options.resyncMs)
    this.resyncTimer.unref()
  }

  stop(): void {
    this.stopped = true
    this.stream?.close()
    for (const t of [this.resyncTimer, this.retryTimer, this.listTimer]) if (t) clearTimeout(t)
  }

  private connect(): void {
    if (this.stopped) return
    this.stream = followEvents(this.options.socket, {
      onOpen: () => {
        this.retryMs = RETRY_MIN_MS
        void this.list()
      },
      onEvent: () => this.scheduleList(),
      onEnd: (error) => {
        if (this.stopped) return
        this.fail(error)
        this.retryTimer = setTimeout(() => this.connect(), this.retryMs)
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS)
      },
    })
  }

  /** Bursts of events (compose starting ten services) collapse into one list. */
  private scheduleList(): void {
    if (this.listTimer) return
    this.listTimer = setTimeout(() => {
      this.listTimer = null
      void this.list()
    }, 15)
  }

  private async list(): Promise<void> {
    if (this.stopped) return
    if (this.listing) {
      this.listAgain = true
      return
    }

    this.listing = true
    try {
      const containers = await listContainers(this.options.socket)
      if (this.stopped) return
      await this.addCreationTimes(containers)
      if (this.stopped) return
      const wasFailing = this.error !== null
      // Keep the previous object of an unchanged container: the builder then reuses its plan at once.
      const previous = new Map(this.containers.map((c) => [c.id, c]))
      this.containers = containers
        .map((c) => {
          const old = previous.get(c.id)
          return old !== undefined && JSON.stringify(old) === JSON.stringify(c) ? old : c
        })
        .sort((a, b) => (a.id < b.id ? -1 : 1))
      this.lastSync = new Date()
      this.error = null
      this.fromSnapshot = false
      this.attempted = true
      const signature = JSON.stringify(this.containers)
      if (wasFailing) this.options.log('daemon answers', {networkId: this.networkId, containers: containers.length})
      if (signature !== this.signature || wasFailing) {
        if (signature !== this.signature) this.version++
        this.signature = signature
        this.options.onChange()
      }
    } catch (error) {
      this.fail(error as Error)
    } finally {
      this.listing = false
      if (this.listAgain && !this.stopped) {
        this.listAgain = false
        void this.list()
      }
    }
  }

  private async addCreationTimes(containers: ContainerInfo[]): Promise<void> {
    const unknown = containers.filter((c) => !this.created.has(c.id))
    for (let i = 0; i < unknown.length; i += 8) {
      const batch = unknown.slice(i, i + 8)
      const times = await Promise.all(batch.map((c) => inspectCreated(this.options.socket, c.id)))
      batch.forEach((c, j) => this.created.set(c.id, times[j] ?? c.created))
    }

    const live = new Set(containers.map((c) => c.id))
    for (const id of this.created.keys()) if (!live.has(id)) this.created.delete(id)
    for (const c of containers) c.created = this.created.get(c.id) ?? c.created
  }

  private fail(error: Error): void {
    const message = error.message || String(error)
    const first = this.error === null
    this.error = message
    this.attempted = true
    if (first) {
      this.options.log('daemon unreachable', {networkId: this.networkId, error: message, keptContainers: this.containers.length})
      this.options.onChange()
    }
  }

  status(): DaemonStatus {
    return {
      networkId: this.networkId,
      socket: this.socket,
      lastSync: this.lastSync?.toISOString() ?? null,
      error: this.error,
      stale: this.stale,
      containers: this.containers.length,
    }
  }
}
