/**
 * The entry point names followed live from traefik.yml (router.yaml's `traefikConfig`): its stamp is looked at every
 * POLL_MS and at each rebuild, and the file re-read when it changed. A file that cannot be read or parsed keeps the
 * last good names (routes are never dropped because of it) and shows in /health.
 */
import type {RouterSettings} from './config.js'
import {fileStamp, readTraefikEntryPoints} from './traefik-file.js'
import type {EntrypointsStatus} from './types.js'

/** How often traefik.yml's stamp (mtime, size, inode) is looked at; every rebuild looks too. */
const POLL_MS = 2000

export class EntrypointsFile {
  /** Stamp of traefik.yml when last read: null when it could not be looked at, undefined before the first look. */
  private stamp: string | null | undefined = undefined
  private timer: NodeJS.Timeout | null = null
  /** False until the names are known: read from the file once, or given some other way. */
  private isLoaded: boolean
  private error: string | null = null
  private loadedAt: Date | null = null

  /**
   * `settings.entrypoints` is updated in place when the names change (the settings are the route server's own);
   * `onChange` is then called, before the change is logged.
   */
  constructor(
    private readonly settings: RouterSettings,
    private readonly log: (event: string, fields?: Record<string, unknown>) => void,
    private readonly onChange: () => void,
  ) {
    this.isLoaded = settings.entrypointsSource !== 'traefik.yml'
  }

  get followed(): boolean {
    return this.settings.entrypointsSource === 'traefik.yml'
  }

  /** True once the entry point names are known: without them every router naming one would be refused. */
  get loaded(): boolean {
    return this.isLoaded
  }

  /** True while the last read failed (the last good names are kept). */
  get failing(): boolean {
    return this.error !== null
  }

  /** Looks at the file every POLL_MS; `onPolledChange` runs when a look changed the names. */
  start(onPolledChange: () => void): void {
    if (!this.followed) return
    this.timer = setInterval(() => {
      if (this.check()) onPolledChange()
    }, POLL_MS)
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
  }

  /** Reads the names when the file changed (a stat, so cheap enough for every rebuild). True when they changed. */
  check(): boolean {
    const path = this.settings.traefikConfig
    if (path === null || !this.followed) return false
    const stamp = fileStamp(path)
    if (stamp === this.stamp) return false
    this.stamp = stamp
    let names: string[]
    try {
      names = readTraefikEntryPoints(path)
    } catch (error) {
      const message = (error as Error).message
      if (message !== this.error) this.log('entry points not read', {file: path, error: message, kept: this.settings.entrypoints.length})
      this.error = message
      return false
    }

    this.error = null
    this.loadedAt = new Date()
    const first = !this.isLoaded
    this.isLoaded = true
    const before = [...this.settings.entrypoints].sort().join(',')
    if ([...names].sort().join(',') === before && !first) return false
    const added = names.filter((n) => !this.settings.entrypoints.includes(n))
    const removed = this.settings.entrypoints.filter((n) => !names.includes(n))
    this.settings.entrypoints = names
    this.onChange()
    this.log(first ? 'entry points read' : 'entry points changed', {file: path, count: names.length, ...(first ? {} : {added, removed})})
    return true
  }

  status(): EntrypointsStatus {
    return {
      source: this.settings.entrypointsSource,
      file: this.followed ? this.settings.traefikConfig : null,
      names: [...this.settings.entrypoints],
      error: this.error,
      loadedAt: this.loadedAt?.toISOString() ?? null,
    }
  }
}
