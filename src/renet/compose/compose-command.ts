/**
 * Which docker compose to run: the v2 plugin (`docker compose`) when `docker compose version` answers, else the
 * standalone `docker-compose` (1.29 on Debian 12). RENET_COMPOSE overrides the choice (a command line split on
 * spaces), for hosts with an unusual install.
 */
import {spawnSync} from 'node:child_process'

export function composeCommand(env: NodeJS.ProcessEnv): string[] {
  const forced = env.RENET_COMPOSE?.trim()
  if (forced) return forced.split(/\s+/)
  const probe = spawnSync('docker', ['compose', 'version'], {env, stdio: 'ignore', timeout: 10_000})
  return probe.status === 0 ? ['docker', 'compose'] : ['docker-compose']
}
