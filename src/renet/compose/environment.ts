/**
 * The environment a Rediaccfile and docker compose see: `{SERVICE}_IP` for every service of the repository and
 * the REPOSITORY_* variables, so `${WEBAPP_IP}` in a compose file resolves.
 */
import {UsageError} from '../../errors.js'
import {serviceIp, serviceIpVar} from '../../net/network.js'
import type {Repository} from './repository.js'
import type {Slots} from './slots.js'

/**
 * Refuses service names that can't become a `{SERVICE}_IP` variable, and pairs whose variables would collide
 * (`my-app` and `my_app`). WHERE says which file they came from.
 */
export function checkServiceNames(names: Iterable<string>, where: (name: string) => string): void {
  const seen = new Map<string, string>()
  for (const name of names) {
    const variable = serviceIpVar(name)
    if (variable === null) {
      throw new UsageError(`${where(name)}: service name '${name}' cannot become an environment variable`, {
        field: 'services',
        suggestion: 'Service names must start with a letter or _ and hold only letters, digits, _, - and . (e.g. listmonk-app → LISTMONK_APP_IP).',
      })
    }

    const other = seen.get(variable)
    if (other !== undefined && other !== name) {
      throw new UsageError(`${where(name)}: services '${other}' and '${name}' would both be ${variable}`, {
        field: 'services',
        suggestion: 'Rename one of them; - and . become _ in the variable name.',
      })
    }

    seen.set(variable, name)
  }
}

/** `{SERVICE}_IP` for every slot; entries whose names can't be variables (hand-edited files) are skipped. */
export function serviceIpEnv(networkId: number, slots: Slots): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, slot] of slots) {
    const variable = serviceIpVar(name)
    if (variable !== null) env[variable] = serviceIp(networkId, slot)
  }

  return env
}

export function repositoryEnv(repo: Repository): Record<string, string> {
  return {
    REPOSITORY_PATH: repo.path,
    REPOSITORY_NAME: repo.name,
    REPOSITORY_NETWORK_ID: String(repo.networkId),
    DOCKER_HOST: repo.dockerHost,
  }
}
