import {ParseError} from './router.js'

/** What diagnose needs of `GET /containers/{name}/json` (docker inspect). */
export interface ContainerState {
  exists: boolean
  status?: string
  running?: boolean
  restarting?: boolean
  exitCode?: number
  error?: string
  startedAt?: string
  image?: string
  env?: string[]
  cmd?: string[]
  labels?: Record<string, string>
}

export function parseContainer(status: number, body: string): ContainerState {
  if (status === 404) return {exists: false}
  if (status !== 200) throw new ParseError(`docker answered ${status} for the container`)
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(body) as Record<string, unknown>
  } catch {
    throw new ParseError('docker inspect is not JSON')
  }
  const state = (doc.State ?? {}) as Record<string, unknown>
  const config = (doc.Config ?? {}) as Record<string, unknown>
  const out: ContainerState = {exists: true}
  if (typeof state.Status === 'string') out.status = state.Status
  if (typeof state.Running === 'boolean') out.running = state.Running
  if (typeof state.Restarting === 'boolean') out.restarting = state.Restarting
  if (typeof state.ExitCode === 'number') out.exitCode = state.ExitCode
  if (typeof state.Error === 'string' && state.Error !== '') out.error = state.Error
  if (typeof state.StartedAt === 'string') out.startedAt = state.StartedAt
  if (typeof config.Image === 'string') out.image = config.Image
  if (Array.isArray(config.Env)) out.env = config.Env.filter((e): e is string => typeof e === 'string')
  if (Array.isArray(config.Cmd)) out.cmd = config.Cmd.filter((e): e is string => typeof e === 'string')
  if (typeof config.Labels === 'object' && config.Labels !== null) {
    out.labels = Object.fromEntries(Object.entries(config.Labels as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'))
  }
  return out
}

/** `GET /version` of a Docker daemon. */
export function parseDockerVersion(body: string): {version?: string; apiVersion?: string} {
  try {
    const doc = JSON.parse(body) as Record<string, unknown>
    return {
      ...(typeof doc.Version === 'string' ? {version: doc.Version} : {}),
      ...(typeof doc.ApiVersion === 'string' ? {apiVersion: doc.ApiVersion} : {}),
    }
  } catch {
    throw new ParseError('docker /version is not JSON')
  }
}
