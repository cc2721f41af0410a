/** `renet sync manifest`: the tree of a repository folder as the planner on the workstation compares it. */
import {stat} from 'node:fs/promises'

import {type Manifest, scanTree} from './tree.js'
import {openHashCache} from './cache.js'

export interface ManifestOptions {
  exclude?: readonly string[]
  /** Use and update the hash cache (default true). */
  cache?: boolean
}

export async function buildManifest(root: string, options: ManifestOptions = {}): Promise<Manifest> {
  const started = process.hrtime.bigint()
  const info = await stat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null
    throw error
  })
  if (info === null) {
    return {version: 1, exists: false, entries: {}, excluded: [], stats: {files: 0, dirs: 0, symlinks: 0, hashed: 0, cached: 0, skipped: [], ms: 0}}
  }

  if (!info.isDirectory()) throw new Error(`${root} is not a folder`)
  const cache = options.cache === false ? undefined : await openHashCache(root)
  const {tree, excluded, stats} = await scanTree(root, {exclude: options.exclude, cache})
  await cache?.save()
  const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e6)
  return {version: 1, exists: true, entries: tree, excluded, stats: {...stats, ms}}
}
