import {constants} from 'node:fs'
import {lstat, mkdir, open, rename, stat, symlink, unlink} from 'node:fs/promises'
import {dirname, join, relative, resolve, sep} from 'node:path'

import {uniqueSuffix} from '../../config/lock.js'
import {UsageError} from '../../errors.js'
import type {RenderedSet} from '../render/rendered-file.js'

export interface OutResult {
  dir: string
  files: {path: string; mode: string; bytes: number}[]
  links: {path: string; target: string}[]
}

/** O_EXCL with O_CREAT never follows a link at the name; O_NOFOLLOW says so twice (and covers what EXCL does not). */
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

type Kind = 'missing' | 'file' | 'dir' | 'link' | 'other'

async function kindOf(path: string): Promise<Kind> {
  try {
    const s = await lstat(path)
    return s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
}

function refuse(path: string, what: string): never {
  throw new UsageError(`--out: ${path} ${what}; rdc writes only real files and folders under DIR and never follows a link there.`, {
    field: '--out',
    suggestion: 'Remove it (or give an empty folder as --out), then run push-infra --out again. Nothing was written.',
  })
}

/**
 * Checks, before anything is written, that every folder on the way to each file and link under `root` is a real
 * folder (or missing) and that each file's place holds nothing but an earlier run's regular file (a link's place:
 * nothing, or a link). So a link planted in DIR never redirects a write (the token would land in its target).
 */
async function checkTree(root: string, dir: string, set: RenderedSet): Promise<void> {
  const seen = new Set<string>()
  const checkFolders = async (path: string) => {
    const parts = relative(root, dirname(path)).split(sep).filter(Boolean)
    let at = root
    for (const part of parts) {
      at = join(at, part)
      if (seen.has(at)) continue
      seen.add(at)
      const kind = await kindOf(at)
      if (kind === 'link') refuse(at, 'is a symbolic link where rdc needs a folder')
      if (kind !== 'dir' && kind !== 'missing') refuse(at, 'is not a folder')
      if (kind === 'missing') return
    }
  }
  for (const f of set.files) {
    const path = join(dir, f.path)
    await checkFolders(path)
    const kind = await kindOf(path)
    if (kind === 'link') refuse(path, 'is a symbolic link')
    if (kind !== 'file' && kind !== 'missing') refuse(path, 'is not a regular file')
  }
  for (const l of set.links) {
    const path = join(dir, l.path)
    await checkFolders(path)
    const kind = await kindOf(path)
    if (kind !== 'link' && kind !== 'missing') refuse(path, `is not the symbolic link rdc makes there (→ ${l.target})`)
  }
}

/** Creates the folders of `path` under `root` one by one, refusing a link that appeared since the check. */
async function makeFolders(root: string, path: string): Promise<void> {
  let at = root
  for (const part of relative(root, dirname(path)).split(sep).filter(Boolean)) {
    at = join(at, part)
    await mkdir(at, {mode: 0o755}).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
    if ((await kindOf(at)) !== 'dir') refuse(at, 'is not a folder (it changed while rdc was writing)')
  }
}

/**
 * `push-infra --out DIR`: the rendered set written under DIR in the server's layout (DIR/opt/rediacc/proxy/…),
 * with the modes the server gets, without connecting anywhere. Each file is created exclusively under a fresh name
 * (never through a link), given its mode through its own descriptor and renamed into place, so a reviewer or a CI
 * linter never reads a half-written file. `root` is the --out folder itself when `dir` is a machine's folder in it.
 */
export async function writeRenderedSet(outDir: string, set: RenderedSet, root: string = outDir): Promise<OutResult> {
  const dir = resolve(outDir)
  const top = resolve(root)
  await checkRenderedSet(outDir, set, root)
  await mkdir(top, {recursive: true})
  const result: OutResult = {dir, files: [], links: []}
  for (const f of set.files) {
    const target = join(dir, f.path)
    await makeFolders(top, target)
    const temp = `${target}.${uniqueSuffix()}.rdc-out`
    const handle = await open(temp, CREATE_EXCLUSIVE, 0o600)
    try {
      // Through the descriptor: exact (no umask), and never a chmod of whatever a name points at.
      await handle.chmod(f.mode)
      await handle.writeFile(f.content)
    } catch (error) {
      await unlink(temp).catch(() => {})
      throw error
    } finally {
      await handle.close()
    }
    // rename replaces the name itself; it does not follow a link there (and checkTree refused one anyway).
    await rename(temp, target)
    result.files.push({path: f.path, mode: f.mode.toString(8).padStart(4, '0'), bytes: Buffer.byteLength(f.content)})
  }

  for (const l of set.links) {
    const target = join(dir, l.path)
    await makeFolders(top, target)
    const temp = `${target}.${uniqueSuffix()}.rdc-out`
    await symlink(l.target, temp)
    await rename(temp, target)
    result.links.push({path: l.path, target: l.target})
  }

  return result
}

/** The checks writeRenderedSet makes first, for callers that write several sets and want all checked up front. */
export async function checkRenderedSet(outDir: string, set: RenderedSet, root: string = outDir): Promise<void> {
  const top = resolve(root)
  const dir = resolve(outDir)
  if (dir !== top && !dir.startsWith(`${top}${sep}`)) throw new Error(`${dir} is not inside ${top}`)
  // DIR itself is the user's to choose, a link to a folder included; below it nothing is followed.
  const isDir = await stat(top).then((s) => s.isDirectory(), (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)))
  if (isDir === false) refuse(top, 'is not a folder')
  await checkTree(top, dir, set)
}
