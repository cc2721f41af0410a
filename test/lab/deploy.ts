import {basename} from 'node:path'

import type {TestHost} from '../testhost/index.js'
import type {Lab} from './lab.js'
import {MACHINE} from './machine.js'
import {copyImagesIntoRepoDaemon, importImageIntoRepoDaemon} from './repo-daemon.js'

export interface DeployOptions {
  /** Images the compose file runs, copied into the repository's daemon first. */
  images: string[]
  /** Repository name (default: the folder's name). */
  as?: string
  /** Changes the copied folder before `repo up` (certificates a service reads, say). */
  prepare?: (dir: string) => void
}

/** `rdc repo create` + the images + `rdc repo up` for examples/<name> (or a folder); returns its network id. */
export async function deploy(lab: Lab, host: TestHost, example: string, options: DeployOptions): Promise<number> {
  const {images, as = basename(example)} = options
  const path = lab.copyExample(example, as)
  options.prepare?.(path)
  const created = await lab.cli(['repo', 'create', as, '-m', MACHINE, '--path', path, '--json'])
  if (created.code !== 0) throw new Error(`rdc repo create ${as}: ${created.stdout}${created.stderr}`)
  const networkId = Number(created.json.networkId ?? created.json.repository?.networkId)
  if (!Number.isInteger(networkId)) throw new Error(`rdc repo create ${as} --json gave no networkId: ${created.stdout}`)
  if (images.length === 1 && images[0] === 'rdc-test/busybox:local') await importImageIntoRepoDaemon(host, networkId)
  else await copyImagesIntoRepoDaemon(host, networkId, images)
  const up = await lab.cli(['repo', 'up', as, '-m', MACHINE])
  if (up.code !== 0) throw new Error(`rdc repo up ${as}: exit ${up.code}\n${up.stdout}\n${up.stderr}`)
  return networkId
}
