/**
 * Where a repository lives on its server. One function, so up, down, status and delete agree on every path.
 */
import {posix} from 'node:path'

import type {Machine} from '../config/schema.js'
import {daemonDockerHost, daemonSocketPath, daemonUnit, DEFAULT_DATASTORE, DOCKER_DATA_DIR, RENET_LAUNCHER_PATH} from '../layout/server.js'

export interface RepoLocation {
  name: string
  networkId: number
  datastore: string
  /** The repository's files (and, for an image-backed one, the image's mount point). */
  path: string
  /** Backing image of an image-backed repository; kept outside `path`, which it is mounted over. */
  image: string
  unit: string
  socket: string
  dockerHost: string
  /** The daemon's data (images, containers); removed by `repo delete --purge`. */
  dockerData: string
  renet: string
}

export function repoLocation(machine: Pick<Machine, 'datastore'>, name: string, networkId: number): RepoLocation {
  const datastore = (machine.datastore ?? DEFAULT_DATASTORE).replace(/\/+$/, '') || '/'
  return {
    name,
    networkId,
    datastore,
    path: posix.join(datastore, 'repos', name),
    image: posix.join(datastore, 'images', `${name}.img`),
    unit: daemonUnit(networkId),
    socket: daemonSocketPath(networkId),
    dockerHost: daemonDockerHost(networkId),
    dockerData: `${DOCKER_DATA_DIR}/${networkId}`,
    renet: RENET_LAUNCHER_PATH,
  }
}
