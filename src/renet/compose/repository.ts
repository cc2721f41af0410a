/**
 * The repository a `renet compose` or `renet rediaccfile` run works on: where it lives, its network id, its
 * name and its daemon. The Rediaccfile runner passes these by environment; flags win for manual use.
 */
import {existsSync, statSync} from 'node:fs'
import {basename, resolve} from 'node:path'

import {UsageError} from '../../errors.js'
import {daemonDockerHost} from '../../layout/server.js'
import {isValidNetworkId} from '../../net/network.js'

export interface Repository {
  /** Absolute path of the repository root (where `.rediacc.json` lives). */
  path: string
  name: string
  networkId: number
  /** `unix:///var/run/rediacc/docker-<id>.sock` unless given. */
  dockerHost: string
}

export interface RepositoryFlags {
  repoPath?: string
  networkId?: string
  name?: string
  dockerHost?: string
}

export function resolveRepository(flags: RepositoryFlags, env: NodeJS.ProcessEnv): Repository {
  const rawPath = flags.repoPath ?? env.REPOSITORY_PATH
  if (rawPath === undefined || rawPath === '') {
    throw new UsageError('the repository path is not known', {
      field: 'repo-path',
      suggestion: 'Run it from a Rediaccfile (which sets REPOSITORY_PATH) or pass --repo-path <repository root>.',
    })
  }

  const path = resolve(rawPath)
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new UsageError(`the repository path ${path} is not a folder`, {
      field: 'repo-path',
      suggestion: 'Pass the folder that holds the repository (its Rediaccfile and compose file).',
    })
  }

  const rawId = flags.networkId ?? env.REPOSITORY_NETWORK_ID
  if (rawId === undefined || rawId === '') {
    throw new UsageError('the network id is not known', {
      field: 'network-id',
      suggestion: 'Run it from a Rediaccfile (which sets REPOSITORY_NETWORK_ID) or pass --network-id <id>, e.g. 2816.',
    })
  }

  const networkId = /^\d+$/.test(rawId) ? Number(rawId) : Number.NaN
  if (!isValidNetworkId(networkId)) {
    throw new UsageError(`network id '${rawId}' is not a repository network id`, {
      field: 'network-id',
      suggestion: 'Network ids are 2816 + 64·n (2816, 2880, 2944, …); use the one rdc allocated for the repository.',
    })
  }

  const name = flags.name ?? env.REPOSITORY_NAME ?? basename(path)
  const dockerHost = flags.dockerHost ?? env.DOCKER_HOST ?? daemonDockerHost(networkId)
  return {path, name: name === '' ? basename(path) : name, networkId, dockerHost}
}
