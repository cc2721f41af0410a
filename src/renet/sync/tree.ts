/**
 * The tree both sides of a repository sync describe: every regular file, symlink and folder under a root, by
 * relative path. The workstation (`scanLocal`) and the server (`renet sync manifest`) use this same walk and
 * hash, so equal content always gives equal entries.
 */
import {createHash} from 'node:crypto'
import {createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'

import {compilePatterns, type PathMatcher} from './glob.js'

export type TreeEntry =
  | {type: 'file'; size: number; mode: number; sha256: string}
  | {type: 'symlink'; target: string}
  | {type: 'dir'; mode: number}

/** Relative path (`/`-separated, no `.`/`..`) → entry, in walk order (each folder's names sorted). */
export type Tree = Record<string, TreeEntry>

/** What `renet sync manifest` prints. */
export interface Manifest {
  version: 1
  /** False when the folder does not exist yet (a first deploy); `entries` is then empty. */
  exists: boolean
  entries: Tree
  /** Paths present but left out (server state, excluded patterns); the planner keeps the folders holding them. */
  excluded: string[]
  stats: {files: number; dirs: number; symlinks: number; hashed: number; cached: number; skipped: string[]; ms: number}
}

/** Only the permission bits travel (no setuid/setgid/sticky: a repository has no use for them). */
export const MODE_MASK = 0o777

/**
 * Files the server writes into the repository folder (`renet compose`'s slots and override files, this sync's
 * own cache, and their temporary files): never listed, sent, overwritten or deleted. Matched by name at any
 * depth, since the override files sit beside compose files in first-level folders too.
 */
export const SERVER_STATE_PATTERNS = ['.rediacc.json', '.rediacc.json.*', '.rediacc-compose.*', '.rediacc-sync.*'] as const

/** The name of the server's hash cache, at the repository root. */
export const SYNC_CACHE_FILE = '.rediacc-sync.cache.json'

/** A cache the walk may consult so unchanged files are not read again (the server's, see renet/sync/cache.ts). */
export interface HashCache {
  /** The sha256 known for this file's exact stat, or undefined. */
  get(path: string, stat: FileStat): string | undefined
  set(path: string, stat: FileStat, sha256: string): void
}

export interface FileStat {
  dev: bigint
  ino: bigint
  size: bigint
  mtimeNs: bigint
  ctimeNs: bigint
}

export interface ScanOptions {
  /** Patterns (glob.ts syntax) left out, in addition to SERVER_STATE_PATTERNS. */
  exclude?: readonly string[]
  cache?: HashCache
}

/** Checks a relative path from the other side: `/`-separated, no empty, `.` or `..` segment, no NUL. */
/** The entry at `path`, never a property inherited from Object.prototype. */
export function entryAt(tree: Tree, path: string): TreeEntry | undefined {
  return Object.hasOwn(tree, path) ? tree[path] : undefined
}

export function isSafeRelativePath(path: unknown): path is string {
  if (typeof path !== 'string' || path === '' || path.length > 4096 || path.includes('\0') || path.startsWith('/')) return false
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
}

export function protectedMatcher(exclude: readonly string[] = []): PathMatcher {
  return compilePatterns([...SERVER_STATE_PATTERNS, ...exclude], 'exclude pattern')
}

const SMALL_FILE = 1 << 20
const PARALLEL_HASHES = 8

/**
 * Walks `root` (which must exist and be a folder) and returns its tree without the excluded paths. Sockets,
 * fifos and devices are not synced; their paths come back in `skipped`.
 */
export async function scanTree(
  root: string,
  options: ScanOptions = {},
): Promise<{tree: Tree; excluded: string[]; stats: Omit<Manifest['stats'], 'ms'>}> {
  const isExcluded = protectedMatcher(options.exclude)
  const excluded: string[] = []
  // No prototype: a file may be called `__proto__` or `constructor`.
  const tree: Tree = Object.create(null) as Tree
  const stats = {files: 0, dirs: 0, symlinks: 0, hashed: 0, cached: 0, skipped: [] as string[]}
  const toHash: Array<{path: string; stat: FileStat; mode: number}> = []

  // Synchronous walk and small reads: a promise per lstat costs a thread-pool round trip, several times the call.
  function walk(dir: string, prefix: string): void {
    const names = readdirSync(dir).sort()
    for (const name of names) {
      const path = prefix === '' ? name : `${prefix}/${name}`
      const full = join(dir, name)
      const st = lstatSync(full, {bigint: true})
      if (st.isDirectory()) {
        if (isExcluded.matches(path, true)) {
          excluded.push(path)
          continue
        }

        stats.dirs++
        tree[path] = {type: 'dir', mode: Number(st.mode) & MODE_MASK}
        walk(full, path)
      } else if (isExcluded.matches(path, false)) {
        excluded.push(path)
      } else if (st.isSymbolicLink()) {
        stats.symlinks++
        tree[path] = {type: 'symlink', target: readlinkSync(full)}
      } else if (st.isFile()) {
        stats.files++
        const stat = {dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs}
        const mode = Number(st.mode) & MODE_MASK
        const known = options.cache?.get(path, stat)
        if (known === undefined) {
          toHash.push({path, stat, mode})
          // Placeholder keeps the walk's (sorted) order; replaced below.
          tree[path] = {type: 'file', size: Number(st.size), mode, sha256: ''}
        } else {
          stats.cached++
          tree[path] = {type: 'file', size: Number(st.size), mode, sha256: known}
        }
      } else {
        stats.skipped.push(path)
      }
    }
  }

  walk(root, '')
  let next = 0
  const worker = async () => {
    while (next < toHash.length) {
      const item = toHash[next++]
      const {sha256, size} = await hashFile(join(root, item.path), Number(item.stat.size))
      stats.hashed++
      tree[item.path] = {type: 'file', size, mode: item.mode, sha256}
      // A file that changed while it was read is hashed again next time rather than cached with a wrong stat.
      if (size === Number(item.stat.size)) options.cache?.set(item.path, item.stat, sha256)
    }
  }

  await Promise.all(Array.from({length: Math.min(PARALLEL_HASHES, toHash.length)}, worker))
  return {tree, excluded, stats}
}

/** sha256 and byte count of a file: small files in one read, large ones streamed. */
export async function hashFile(path: string, sizeHint: number): Promise<{sha256: string; size: number}> {
  const hash = createHash('sha256')
  if (sizeHint <= SMALL_FILE) {
    const data = readFileSync(path)
    hash.update(data)
    return {sha256: hash.digest('hex'), size: data.length}
  }

  let size = 0
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) {
    size += (chunk as Buffer).length
    hash.update(chunk as Buffer)
  }

  return {sha256: hash.digest('hex'), size}
}
