/**
 * A repository written for a test: a folder under the lab with the files it names, recorded on the lab's machine.
 * For examples/ folders deployed whole, see deploy.ts.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {TestHost} from '../testhost/index.js'
import type {Lab} from './lab.js'
import {MACHINE} from './machine.js'
import {importImageIntoRepoDaemon} from './repo-daemon.js'

/** The Rediaccfile of a plain compose repository: renet compose up and down. */
export const COMPOSE_REDIACCFILE = 'up() {\n  renet compose -- up -d\n}\ndown() {\n  renet compose -- down\n}\n'

/** `<lab>/src/<name>` with FILES (paths relative to it), and COMPOSE_REDIACCFILE unless FILES has a Rediaccfile. */
export function writeRepoFolder(lab: Lab, name: string, files: Record<string, string>): string {
  const dir = join(lab.dir, 'src', name)
  mkdirSync(dir, {recursive: true})
  if (!('Rediaccfile' in files)) writeFileSync(join(dir, 'Rediaccfile'), COMPOSE_REDIACCFILE)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  return dir
}

export interface CreatedRepo {
  dir: string
  networkId: number
}

/** writeRepoFolder, then `rdc repo create NAME --path <folder>` and the busybox image in its daemon (not yet up). */
export async function createRepo(lab: Lab, host: TestHost, name: string, files: Record<string, string>): Promise<CreatedRepo> {
  const dir = writeRepoFolder(lab, name, files)
  const created = await lab.cli(['repo', 'create', name, '-m', MACHINE, '--path', dir, '--json'])
  if (created.code !== 0) throw new Error(`rdc repo create ${name}: exit ${created.code}\n${created.stderr}`)
  const networkId = Number(created.json.networkId)
  await importImageIntoRepoDaemon(host, networkId)
  return {dir, networkId}
}
