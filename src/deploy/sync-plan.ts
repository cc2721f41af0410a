/**
 * The workstation side of `rdc repo up`'s file sync: scan the local folder, compare it with the server's
 * manifest (`renet sync manifest`), and plan the smallest change — upload only files whose content differs,
 * delete what no longer exists locally, and never touch the server's state files or the data folders the
 * compose files mount. Pure apart from the scan; the stream for `renet sync apply` comes from `encodePlan`.
 */
import {createReadStream} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {compilePatterns} from '../renet/sync/glob.js'
import {entryAt, scanTree, SERVER_STATE_PATTERNS, type Tree, type TreeEntry} from '../renet/sync/tree.js'
import {type ApplyHeader, encodeApplyStream} from '../renet/sync/wire.js'

export {type ComposeSource, protectedPathsFromCompose} from './compose-mounts.js'

/** The file at the repository root listing more paths to leave out (glob.ts syntax, `#` comments). */
export const IGNORE_FILE = '.rdcignore'

/**
 * Never sent and never deleted on the server: `.git` (history is not part of a deployment and is large) and
 * `node_modules` (built for the workstation's platform; a Rediaccfile that needs it installs it on the server,
 * where it then stays untouched).
 */
export const ALWAYS_IGNORED = ['.git', 'node_modules'] as const

export interface LocalScan {
  tree: Tree
  /** The ignore patterns in force (ALWAYS_IGNORED + `.rdcignore`), to pass to the server as `--exclude`. */
  ignore: string[]
}

export interface SyncPlan {
  /** Files whose content is sent (new, or content changed), with the mode to give them. */
  upload: Array<{path: string; size: number; mode: number; sha256: string}>
  /** Symlinks created or re-pointed. */
  links: Array<{path: string; target: string}>
  /** Folders created, parents first. */
  dirs: Array<{path: string; mode: number}>
  /** Same content, other mode. */
  chmod: Array<{path: string; mode: number}>
  /** Removed on the server, children before their folders. */
  delete: string[]
  /** Local paths not applied because a protected path is in the way (a local file where a data folder's parent is). */
  conflicts: string[]
  /** Entries equal on both sides. */
  unchanged: number
  /** Bytes of file content the plan sends. */
  bytes: number
}

export interface PlanOptions {
  /** Relative paths (data folders, from protectedPathsFromCompose) left alone with everything below them. */
  protected?: readonly string[]
  /** Patterns (glob.ts syntax) ignored on both sides. */
  ignore?: readonly string[]
  /** Paths on the server that were left out of its manifest (Manifest.excluded): the folders holding them stay. */
  remoteExcluded?: readonly string[]
}

/** The ignore patterns of DIR: ALWAYS_IGNORED plus the lines of its `.rdcignore`. */
export async function readIgnorePatterns(dir: string): Promise<string[]> {
  let text = ''
  try {
    text = await readFile(join(dir, IGNORE_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  // Refuse a line the server would refuse too, naming the file it came from.
  compilePatterns(lines, `${IGNORE_FILE} line`)
  return [...ALWAYS_IGNORED, ...lines]
}

/** Scans the local repository folder with the server's hashing, leaving out `exclude` and the ignore patterns. */
export async function scanLocal(dir: string, options: {exclude?: readonly string[]} = {}): Promise<LocalScan> {
  const info = await stat(dir)
  if (!info.isDirectory()) throw new Error(`${dir} is not a folder`)
  const ignore = await readIgnorePatterns(dir)
  const {tree} = await scanTree(dir, {exclude: [...ignore, ...(options.exclude ?? [])]})
  return {tree, ignore}
}

/**
 * What to change on the server so its tree equals `local`, except: server state files, the `protected` paths
 * (and the folders holding them, which are never deleted) and `ignore`d paths are left exactly as they are.
 */
export function planSync(local: Tree, remote: Tree, options: PlanOptions = {}): SyncPlan {
  const protectedPaths = [...(options.protected ?? [])]
  const skip = compilePatterns([...SERVER_STATE_PATTERNS, ...(options.ignore ?? [])], 'ignore pattern')
  const isProtected = (path: string) => protectedPaths.some((p) => path === p || path.startsWith(`${p}/`))
  const leftAlone = (path: string, entry: TreeEntry) => isProtected(path) || skip.covers(path, entry.type === 'dir')
  // Folders holding something the sync leaves alone are never deleted (deleting them would fail anyway).
  const held = new Set<string>()
  const hold = (path: string) => {
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) held.add(path.slice(0, i))
  }

  for (const path of [...protectedPaths, ...(options.remoteExcluded ?? [])]) hold(path)
  for (const [path, entry] of Object.entries(remote)) if (leftAlone(path, entry)) hold(path)

  const plan: SyncPlan = {upload: [], links: [], dirs: [], chmod: [], delete: [], conflicts: [], unchanged: 0, bytes: 0}
  const deletions = new Set<string>()
  const blocked = new Set<string>()

  for (const [path, theirs] of Object.entries(remote)) {
    if (leftAlone(path, theirs)) continue
    const ours = entryAt(local, path)
    if (ours !== undefined && !leftAlone(path, ours) && ours.type === theirs.type) continue
    if (theirs.type === 'dir' && held.has(path)) {
      // A data folder (or other left-alone path) lives below: the folder stays, and a local file or symlink of
      // that name cannot be applied.
      if (ours !== undefined && !leftAlone(path, ours)) blocked.add(path)
      continue
    }

    deletions.add(path)
  }

  for (const [path, ours] of Object.entries(local)) {
    if (leftAlone(path, ours)) continue
    if (blocked.has(path) || [...blocked].some((b) => path.startsWith(`${b}/`))) {
      plan.conflicts.push(path)
      continue
    }

    const theirs = deletions.has(path) ? undefined : entryAt(remote, path)
    if (ours.type === 'file') {
      if (theirs?.type === 'file' && theirs.sha256 === ours.sha256 && theirs.size === ours.size) {
        if (theirs.mode === ours.mode) plan.unchanged++
        else plan.chmod.push({path, mode: ours.mode})
      } else {
        plan.upload.push({path, size: ours.size, mode: ours.mode, sha256: ours.sha256})
        plan.bytes += ours.size
      }
    } else if (ours.type === 'symlink') {
      if (theirs?.type === 'symlink' && theirs.target === ours.target) plan.unchanged++
      else plan.links.push({path, target: ours.target})
    } else if (theirs?.type === 'dir') {
      if (theirs.mode === ours.mode) plan.unchanged++
      else plan.chmod.push({path, mode: ours.mode})
    } else {
      plan.dirs.push({path, mode: ours.mode})
    }
  }

  plan.delete = [...deletions].sort(byDepthThenName)
  plan.dirs.sort((a, b) => depth(a.path) - depth(b.path) || compare(a.path, b.path))
  return plan
}

/** True when applying the plan would change nothing (the CLI then skips `renet sync apply`). */
export function isEmptyPlan(plan: SyncPlan): boolean {
  return plan.upload.length + plan.links.length + plan.dirs.length + plan.chmod.length + plan.delete.length === 0
}

export function headerOf(plan: SyncPlan): ApplyHeader {
  return {version: 1, delete: plan.delete, dirs: plan.dirs, chmod: plan.chmod, links: plan.links, files: plan.upload}
}

/** The `renet sync apply` stream for `plan`, reading file content from the local folder `dir`. */
export function encodePlan(plan: SyncPlan, dir: string): AsyncGenerator<Buffer> {
  const sizes = new Map(plan.upload.map((u) => [u.path, u.size]))
  // Small files in one read (a read stream per file costs more than the read itself).
  return encodeApplyStream(headerOf(plan), (path) =>
    (sizes.get(path) ?? Infinity) <= 1 << 20 ? readWhole(join(dir, path)) : createReadStream(join(dir, path), {highWaterMark: 1 << 20}),
  )
}

async function* readWhole(path: string): AsyncGenerator<Buffer> {
  yield await readFile(path)
}

function depth(path: string): number {
  let n = 0
  for (const c of path) if (c === '/') n++
  return n
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function byDepthThenName(a: string, b: string): number {
  return depth(b) - depth(a) || compare(a, b)
}
