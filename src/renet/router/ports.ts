/**
 * Dynamic ports for TCP/UDP routers that name no entry point: the next free port of the range, keyed by
 * repository and router so it stays the same across restarts and re-deploys, released once no container has
 * held it for the grace period. Kept in ports.json (temp file + fsync + rename).
 */
import {closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import type {PortRange} from './config.js'
import type {PortAllocation} from './types.js'

export type Protocol = 'tcp' | 'udp'

interface Stored {
  protocol: Protocol
  port: number
  networkId: number
  router: string
  /** Epoch ms the allocation was last held by a running container. */
  lastSeen: number
}

export interface PortAllocatorOptions {
  stateDir: string
  ranges: {tcp: PortRange | null; udp: PortRange | null}
  graceMs: number
  now?: () => number
}

function allocationKey(protocol: Protocol, networkId: number, router: string): string {
  return `${protocol}/${networkId}/${router}`
}

export class PortAllocator {
  private readonly file: string
  private readonly now: () => number
  private readonly byKey = new Map<string, Stored>()
  /** Keys held during the current build; everything else is idle. */
  private held = new Set<string>()
  /** Held-state of each allocation when last written, so going idle is persisted with its lastSeen. */
  private readonly persisted = new Map<string, boolean>()
  private dirty = false

  constructor(private readonly options: PortAllocatorOptions) {
    this.file = join(options.stateDir, 'ports.json')
    this.now = options.now ?? Date.now
    this.load()
  }

  private load(): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch {
      return // missing or unreadable: start empty (a corrupt file is replaced on the next write)
    }

    const list = (parsed as {allocations?: unknown}).allocations
    if (!Array.isArray(list)) return
    for (const a of list as Stored[]) {
      if ((a.protocol === 'tcp' || a.protocol === 'udp') && Number.isInteger(a.port) && Number.isInteger(a.networkId) && typeof a.router === 'string') {
        this.byKey.set(allocationKey(a.protocol, a.networkId, a.router), {
          protocol: a.protocol,
          port: a.port,
          networkId: a.networkId,
          router: a.router,
          lastSeen: Number.isFinite(a.lastSeen) ? a.lastSeen : this.now(),
        })
      }
    }
  }

  /** Starts a build: allocations not claimed again before `endBuild` become idle. */
  beginBuild(): void {
    // Release before claiming, so a port past its grace period is free for this very build.
    // What the previous build held was held until now, however long ago that build ran.
    const now = this.now()
    for (const [k, a] of this.byKey) {
      if (this.held.has(k)) {
        a.lastSeen = now
      } else if (now - a.lastSeen > this.options.graceMs) {
        this.byKey.delete(k)
        this.dirty = true
      }
    }

    this.held = new Set()
  }

  /** The port for this router, allocating the next free one; null when the range is full or absent. */
  claim(protocol: Protocol, networkId: number, router: string): number | null {
    const k = allocationKey(protocol, networkId, router)
    const existing = this.byKey.get(k)
    this.held.add(k)
    if (existing) return existing.port
    const range = this.options.ranges[protocol]
    if (!range) return null
    const used = new Set([...this.byKey.values()].filter((a) => a.protocol === protocol).map((a) => a.port))
    for (let port = range.from; port <= range.to; port++) {
      if (!used.has(port)) {
        this.byKey.set(k, {protocol, port, networkId, router, lastSeen: this.now()})
        this.dirty = true
        return port
      }
    }

    this.held.delete(k)
    return null
  }

  /** Ends a build: refreshes the allocations held, persists changes. */
  endBuild(): void {
    const now = this.now()
    for (const [k, a] of this.byKey) {
      if (!this.held.has(k)) {
        if (this.persisted.get(k) === true) this.dirty = true // just went idle: write when it was last held
        continue
      }

      // Persisting every refresh would write on every build; a quarter of the grace (at most a minute) is
      // precise enough.
      if (now - a.lastSeen > Math.min(60_000, this.options.graceMs / 4) || this.persisted.get(k) !== true) this.dirty = true
      a.lastSeen = now
    }

    for (const k of this.byKey.keys()) this.persisted.set(k, this.held.has(k))
    for (const k of this.persisted.keys()) if (!this.byKey.has(k)) this.persisted.delete(k)

    if (this.dirty) this.save()
  }

  /** On shutdown: the allocations held by the last build were held until now; saved when any are. */
  flush(): void {
    const now = this.now()
    let held = false
    for (const [k, a] of this.byKey) {
      if (!this.held.has(k)) continue
      a.lastSeen = now
      held = true
    }

    if (held || this.dirty) this.save()
  }

  private save(): void {
    mkdirSync(this.options.stateDir, {recursive: true})
    const body = `${JSON.stringify({version: 1, allocations: this.sorted()}, null, 2)}\n`
    const tmp = `${this.file}.${process.pid}.tmp`
    const fd = openSync(tmp, 'w', 0o644)
    try {
      writeSync(fd, body)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }

    renameSync(tmp, this.file)
    this.dirty = false
  }

  private sorted(): Stored[] {
    return [...this.byKey.values()].sort((a, b) => (a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1))
  }

  get size(): number {
    return this.byKey.size
  }

  report(): PortAllocation[] {
    return this.sorted().map((a) => ({
      protocol: a.protocol,
      port: a.port,
      entryPoint: `${a.protocol}-${a.port}`,
      networkId: a.networkId,
      router: a.router,
      lastSeen: new Date(a.lastSeen).toISOString(),
      idle: !this.held.has(allocationKey(a.protocol, a.networkId, a.router)),
    }))
  }
}
