import {chmod, lstat, mkdir, rename, rm, symlink, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import type {RenderedSet} from './rendered-file.js'

export interface OutResult {
  dir: string
  files: {path: string; mode: string; bytes: number}[]
  links: {path: string; target: string}[]
}

/**
 * `push-infra --out DIR`: the rendered set written under DIR in the server's layout (DIR/opt/rediacc/proxy/…),
 * with the modes the server gets, without connecting anywhere. Each file is written beside and renamed, so a
 * reviewer or a CI linter never reads a half-written file.
 */
export async function writeRenderedSet(outDir: string, set: RenderedSet): Promise<OutResult> {
  const dir = resolve(outDir)
  const result: OutResult = {dir, files: [], links: []}
  for (const f of set.files) {
    const target = join(dir, f.path)
    await mkdir(dirname(target), {recursive: true})
    const temp = `${target}.rdc-out`
    await writeFile(temp, f.content, {mode: f.mode})
    // writeFile's mode is narrowed by the umask; the server's mode must be exact (config.env 0600, renet 0755).
    await chmod(temp, f.mode)
    await rename(temp, target)
    result.files.push({path: f.path, mode: f.mode.toString(8).padStart(4, '0'), bytes: Buffer.byteLength(f.content)})
  }

  for (const l of set.links) {
    const target = join(dir, l.path)
    await mkdir(dirname(target), {recursive: true})
    const exists = await lstat(target).then(
      () => true,
      () => false,
    )
    if (exists) await rm(target, {recursive: false, force: true})
    await symlink(l.target, target)
    result.links.push({path: l.path, target: l.target})
  }

  return result
}
