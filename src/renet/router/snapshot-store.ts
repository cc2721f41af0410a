/**
 * The daemons' last known containers in the state folder (containers.json, snapshot.ts): read once at start, so a
 * daemon that does not answer after a restart starts from what it last said, and saved when a daemon's set
 * changed, at most every SAVE_DELAY_MS.
 */
import {type SnapshotEntry, readSnapshot, writeSnapshot} from './snapshot.js'
import type {ContainerInfo} from './types.js'

const SAVE_DELAY_MS = 2000

/** What the store needs of a daemon: its socket, its containers and a version that changes with them. */
export interface SnapshotSource {
  readonly socket: string
  readonly networkId: number
  readonly containers: ContainerInfo[]
  readonly version: number
}

export class SnapshotStore {
  private readonly saved: Map<string, SnapshotEntry>
  private savedVersions = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly stateDir: string,
    private readonly daemons: () => Iterable<SnapshotSource>,
    private readonly log: (event: string, fields?: Record<string, unknown>) => void,
  ) {
    this.saved = readSnapshot(stateDir)
  }

  /** The containers saved for this socket, when they were saved for the same network id. */
  initial(socket: string, networkId: number): ContainerInfo[] | undefined {
    const saved = this.saved.get(socket)
    return saved?.networkId === networkId ? saved.containers : undefined
  }

  /** Saves the daemons' containers when a set changed, at most every SAVE_DELAY_MS. */
  schedule(): void {
    const daemons = [...this.daemons()]
    const changed = daemons.length !== this.savedVersions.size || daemons.some((d) => this.savedVersions.get(d.socket) !== d.version)
    if (!changed || this.timer) return
    this.timer = setTimeout(() => this.save(), SAVE_DELAY_MS)
  }

  /** Saves now what a scheduled save would have saved (at stop); nothing when none is pending. */
  flush(): void {
    if (this.timer) this.save()
  }

  private save(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const entries = new Map<string, SnapshotEntry>()
    this.savedVersions = new Map()
    for (const d of this.daemons()) {
      entries.set(d.socket, {networkId: d.networkId, containers: d.containers})
      this.savedVersions.set(d.socket, d.version)
    }

    try {
      writeSnapshot(this.stateDir, entries)
    } catch (error) {
      this.log('snapshot not saved', {error: (error as Error).message})
    }
  }
}
