/**
 * The server's hash cache (`.rediacc-sync.cache.json` at the repository root), so an unchanged repository is
 * not read again on every deploy. An entry is trusted only when device, inode, size, mtime and ctime (in
 * nanoseconds) are all unchanged. ctime cannot be set from user space and moves on every write, chmod and
 * rename; and entries whose ctime is within RACY_NS of the scan's start are never stored, so a write in the same
 * clock tick as the hash cannot hide behind an equal timestamp (git's "racily clean" problem). The cache is
 * only ever an optimisation: unreadable or malformed, it is ignored; unwritable, it is not written.
 */
import {randomBytes} from 'node:crypto'
import {readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {type FileStat, type HashCache, SYNC_CACHE_FILE} from './tree.js'

const RACY_NS = 2_000_000_000n

type Row = [dev: string, ino: string, size: string, mtimeNs: string, ctimeNs: string, sha256: string]

export interface PersistentHashCache extends HashCache {
  /** Writes the entries of this scan (atomically); returns false when nothing needed writing or it failed. */
  save(): Promise<boolean>
}

export async function openHashCache(root: string, now: () => bigint = () => BigInt(Date.now()) * 1_000_000n): Promise<PersistentHashCache> {
  const path = join(root, SYNC_CACHE_FILE)
  const started = now()
  const old = new Map<string, Row>()
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as {version?: unknown; entries?: unknown}
    if (data.version === 1 && typeof data.entries === 'object' && data.entries !== null) {
      for (const [file, row] of Object.entries(data.entries)) {
        if (Array.isArray(row) && row.length === 6 && row.every((v) => typeof v === 'string') && /^[0-9a-f]{64}$/.test(row[5])) old.set(file, row as Row)
      }
    }
  } catch {
    // No cache yet, or a broken one: every file is hashed.
  }

  const fresh = new Map<string, Row>()
  let changed = false
  const key = (stat: FileStat): Row => [String(stat.dev), String(stat.ino), String(stat.size), String(stat.mtimeNs), String(stat.ctimeNs), '']
  return {
    get(file, stat) {
      const row = old.get(file)
      const want = key(stat)
      if (row === undefined || !want.slice(0, 5).every((v, i) => v === row[i])) return undefined
      fresh.set(file, row)
      return row[5]
    },
    set(file, stat, sha256) {
      changed = true
      if (stat.ctimeNs >= started - RACY_NS || stat.mtimeNs >= started - RACY_NS) return
      const row = key(stat)
      row[5] = sha256
      fresh.set(file, row)
    },
    async save() {
      if (!changed && fresh.size === old.size) return false
      const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
      try {
        await writeFile(temp, JSON.stringify({version: 1, entries: Object.fromEntries(fresh)}), {mode: 0o600, flag: 'wx'})
        await rename(temp, path)
        return true
      } catch {
        await rm(temp, {force: true})
        return false
      }
    },
  }
}
