/**
 * The folders of a sync's root, walked so that nothing is ever written, removed or chmod-ed through a symlink:
 * every folder on the way to a path is checked with lstat and must be a real folder inside the root.
 */
import {lstatSync, mkdirSync, type Stats} from 'node:fs'
import {dirname, join} from 'node:path'

/** A path that would lead out of the root (through a symlink, or a file where a folder should be). */
export class EscapeError extends Error {}

export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** The folder holding relative path `path` ('' for the root). */
export function parentOf(path: string): string {
  return path.includes('/') ? dirname(path) : ''
}

export class SafeFolders {
  /** Relative folders already checked: each is lstat-ed once per phase, not once per path below it. */
  private verified = new Set<string>()

  constructor(readonly root: string) {}

  /** Forgets the folders checked so far (deletions may have removed some). */
  forget(): void {
    this.verified = new Set()
  }

  /** The absolute path of folder `rel` ('' = root), each step checked to be a real folder (created if asked). */
  folder(rel: string, create: boolean): string | null {
    let current = this.root
    let sofar = ''
    for (const segment of rel === '' ? [] : rel.split('/')) {
      current = join(current, segment)
      sofar = sofar === '' ? segment : `${sofar}/${segment}`
      if (this.verified.has(sofar)) continue
      let st = lstatOrNull(current)
      if (st === null) {
        if (!create) return null
        mkdirSync(current, {mode: 0o755})
        st = lstatSync(current)
      }

      if (st.isSymbolicLink()) throw new EscapeError(`${sofar} is a symlink on the server; refusing to go through it`)
      if (!st.isDirectory()) throw new EscapeError(`${sofar} is not a folder on the server`)
      this.verified.add(sofar)
    }

    return current
  }
}
