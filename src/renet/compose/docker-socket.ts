/**
 * A service that mounts the Docker socket (portainer, watchtower, traefik's docker provider…) would reach the
 * machine's main daemon, which holds none of the repository's containers and all of the machine's. renet compose
 * points such a mount at the repository's own daemon socket instead: the override mounts that socket at the same
 * container path, and docker-compose merges volumes across -f files by container path, so it replaces the original.
 */
import {isPlainObject, type ServiceSpec} from './compose-file.js'
import {interpolate} from './ports.js'

const MAIN_DAEMON_SOCKETS = new Set(['/var/run/docker.sock', '/run/docker.sock'])

export interface SocketMount {
  /** The mount as written in the compose file (for the note). */
  original: string
  /** The override's entry: `<repository socket>:<target>[:<options>]`. */
  volume: string
}

/** The socket path of `unix:///var/run/rediacc/docker-2816.sock`, or null for a non-unix DOCKER_HOST. */
export function socketPath(dockerHost: string): string | null {
  return dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : null
}

export function dockerSocketMounts(spec: ServiceSpec, env: Record<string, string | undefined>, repositorySocket: string): SocketMount[] {
  if (!Array.isArray(spec.volumes)) return []
  const out: SocketMount[] = []
  for (const volume of spec.volumes) {
    if (typeof volume === 'string') {
      const [source, target, options] = interpolate(volume, env).split(':')
      if (target === undefined || !MAIN_DAEMON_SOCKETS.has(source)) continue
      out.push({original: volume, volume: [repositorySocket, target, ...(options === undefined ? [] : [options])].join(':')})
    } else if (isPlainObject(volume) && volume.type === 'bind' && typeof volume.source === 'string' && typeof volume.target === 'string') {
      if (!MAIN_DAEMON_SOCKETS.has(interpolate(volume.source, env))) continue
      out.push({original: `${volume.source}:${volume.target}`, volume: `${repositorySocket}:${volume.target}${volume.read_only === true ? ':ro' : ''}`})
    }
  }

  return out
}
