/**
 * Where a repository's Rediaccfiles are (the root and first-level subfolders) and which of the three steps
 * each defines. The function check reads the text instead of sourcing it, so nothing of a Rediaccfile runs
 * before every one of them has passed the checks.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

export const REDIACCFILE = 'Rediaccfile'
export const STEPS = ['prep', 'up', 'down'] as const
export type Step = (typeof STEPS)[number]

export interface Rediaccfile {
  /** Folder relative to the repository root: '.' for the root, else the subfolder's name. */
  folder: string
  /** Absolute folder. */
  dir: string
  path: string
  functions: Set<Step>
}

/** The steps TEXT defines as bash functions (`up() {`, `up () {`, `function up {`). */
export function definedSteps(text: string): Set<Step> {
  const found = new Set<Step>()
  for (const step of STEPS) {
    const pattern = new RegExp(`^[ \\t]*(?:function[ \\t]+${step}(?=[ \\t(]|$)|${step}[ \\t]*\\([ \\t]*\\))`, 'm')
    if (pattern.test(text)) found.add(step)
  }

  return found
}

/** A symlink counts when it leads to a folder; a dangling one is not an error, just not a folder. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Byte order of names, so A→Z is the same on every machine whatever its locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Rediaccfiles of the repository at ROOT in A→Z order, the root's first. Hidden folders are skipped. */
export function findRediaccfiles(root: string): Rediaccfile[] {
  const folders = [
    '.',
    ...readdirSync(root, {withFileTypes: true})
      .filter((entry) => !entry.name.startsWith('.') && (entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(root, entry.name)))))
      .map((entry) => entry.name)
      .sort(byName),
  ]
  return folders.flatMap((folder) => {
    const dir = folder === '.' ? root : join(root, folder)
    const path = join(dir, REDIACCFILE)
    if (!existsSync(path) || !statSync(path).isFile()) return []
    return [{folder, dir, path, functions: definedSteps(readFileSync(path, 'utf8'))}]
  })
}
