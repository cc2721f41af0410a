/**
 * The socket folder: one `docker-<networkId>.sock` per repository daemon. Watched (fs.watch, plus a periodic
 * rescan for what the watch misses or when the folder does not exist yet); each scan reports the sockets that
 * appeared and those gone for good. A restarting dockerd unlinks and recreates its socket, so a socket counts as
 * gone only once it has been missing for SOCKET_GONE_MS.
 */
import {type FSWatcher, readdirSync, watch} from 'node:fs'
import {join} from 'node:path'

import {isValidNetworkId} from '../../net/network.js'

const SOCKET_PATTERN = /^docker-(\d+)\.sock$/
/** How long a socket must be gone before its daemon and its routes are dropped. */
export const SOCKET_GONE_MS = 1500

export interface SocketChanges {
  /** Sockets that appeared, in folder order. */
  added: Array<{socket: string; networkId: number}>
  /** Sockets missing for SOCKET_GONE_MS. */
  removed: string[]
  /** True for the first scan. */
  first: boolean
}

export interface SocketFolderOptions {
  dir: string
  rescanMs: number
  log: (event: string, fields?: Record<string, unknown>) => void
  /** Called after every scan, changes or not (the first scan is reported even when the folder is empty). */
  onScan: (changes: SocketChanges) => void
}

export class SocketFolder {
  /** Sockets reported as added and not yet as removed: socket path → network id. */
  private readonly present = new Map<string, number>()
  private readonly missingSince = new Map<string, number>()
  private readonly invalid = new Set<string>()
  private scans = 0
  private watcher: FSWatcher | null = null
  private rescanTimer: NodeJS.Timeout | null = null
  private goneTimer: NodeJS.Timeout | null = null

  constructor(private readonly options: SocketFolderOptions) {}

  /** True once the folder was scanned. */
  get scanned(): boolean {
    return this.scans > 0
  }

  start(): void {
    this.rescan()
    try {
      this.watcher = watch(this.options.dir, () => this.rescan())
      this.watcher.on('error', () => {
        this.watcher?.close()
        this.watcher = null
      })
    } catch {
      // The folder may not exist yet; the periodic rescan picks it up.
    }

    this.rescanTimer = setInterval(() => this.rescan(), this.options.rescanMs)
  }

  stop(): void {
    this.watcher?.close()
    for (const t of [this.rescanTimer, this.goneTimer]) if (t) clearTimeout(t)
  }

  rescan(): void {
    const found = this.list()
    const removed: string[] = []
    const now = Date.now()
    for (const socket of this.present.keys()) {
      if (found.has(socket)) {
        this.missingSince.delete(socket)
        continue
      }

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
      this.present.delete(socket)
      removed.push(socket)
    }

    const added: SocketChanges['added'] = []
    for (const [socket, networkId] of found) {
      if (this.present.has(socket)) continue
      this.present.set(socket, networkId)
      added.push({socket, networkId})
    }

    this.scans++
    this.options.onScan({added, removed, first: this.scans === 1})
  }

  /** The daemon sockets in the folder now (none when it cannot be read), invalid network ids logged once. */
  private list(): Map<string, number> {
    let names: string[]
    try {
      names = readdirSync(this.options.dir)
    } catch {
      names = []
    }

    const found = new Map<string, number>()
    for (const name of names) {
      const m = SOCKET_PATTERN.exec(name)
      if (!m) continue
      const id = Number(m[1])
      if (!isValidNetworkId(id)) {
        if (!this.invalid.has(name)) this.options.log('socket ignored', {socket: name, reason: 'not a valid network id'})
        this.invalid.add(name)
        continue
      }

      found.set(join(this.options.dir, name), id)
    }

    return found
  }
}
