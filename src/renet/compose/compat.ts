/**
 * What a compose file asks for that only fails on the server, found before anything connects: keys the daemon
 * refuses for a service on the host network (`links:`, `net.*` sysctls), and compose features newer than the
 * server's docker-compose 1.29, which rejects the whole file ("Additional properties are not allowed").
 *
 * The server keeps docker-compose 1.29 rather than push-infra installing compose v2: v2 names containers
 * `project-service-1` instead of `project_service_1` and merges `-f` files differently, so an upgrade changes every
 * running repository's containers at once; it belongs in its own change, not as a side effect of deploying one.
 */
import {basename} from 'node:path'
import {isMap, isScalar} from 'yaml'

import {UsageError} from '../../errors.js'
import {type ComposeFile, isPlainObject, type ServiceSpec} from './compose-file.js'

export interface CompatProblem {
  /** `docker-compose.yml: service 'n8n': links:` */
  where: string
  problem: string
  fix: string
}

/** Top-level keys docker-compose 1.29 knows (anything else but `x-*` makes it refuse the file). */
const TOP_LEVEL_129 = new Set(['version', 'services', 'networks', 'volumes', 'secrets', 'configs'])

/** Service keys of the Compose Specification that came after docker-compose 1.29. */
const NEWER_SERVICE_KEYS: Record<string, string> = {
  develop: 'remove it (compose watch is a development feature of compose v2)',
  post_start: 'run the command from the image entrypoint or the Rediaccfile instead',
  pre_stop: 'run the command from the Rediaccfile down() instead',
  attach: 'remove it',
  annotations: 'remove it',
  label_file: 'write the labels under labels: instead',
  provider: 'remove it',
  models: 'remove it',
  use_api_socket: 'mount the Docker socket as a volume instead',
  gpus: 'use deploy.resources.reservations.devices instead',
}

const NEWER_BUILD_KEYS = ['additional_contexts', 'ssh', 'secrets', 'platforms', 'tags', 'privileged', 'no_cache', 'pull', 'dockerfile_inline']

export interface CompatOptions {
  /** Whether a service runs on the host network (default: its file says `network_mode: host`). */
  hostNetwork?: (name: string, spec: ServiceSpec) => boolean
}

export function compatProblems(file: ComposeFile, options: CompatOptions = {}): CompatProblem[] {
  const hostNetwork = options.hostNetwork ?? ((_name: string, spec: ServiceSpec) => spec.network_mode === 'host')
  const out: CompatProblem[] = []
  const name = basename(file.path)
  const contents = file.document.contents
  const topKeys = isMap(contents) ? contents.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : []
  for (const key of topKeys) {
    if (TOP_LEVEL_129.has(key) || key.startsWith('x-')) continue
    const fix =
      key === 'name'
        ? 'remove it: the project name is the repository folder (or set COMPOSE_PROJECT_NAME in the Rediaccfile)'
        : key === 'include'
          ? 'pass the included files with -f instead (renet compose -f a.yml -f b.yml -- up -d)'
          : 'remove it'
    out.push({where: `${name}: ${key}:`, problem: `top-level '${key}' is not known to docker-compose 1.29 on the server`, fix})
  }

  for (const [service, spec] of file.services) {
    const at = (key: string) => `${name}: service '${service}': ${key}`
    for (const [key, fix] of Object.entries(NEWER_SERVICE_KEYS)) {
      if (spec[key] !== undefined) out.push({where: at(`${key}:`), problem: `'${key}' is not known to docker-compose 1.29 on the server`, fix})
    }

    if (isPlainObject(spec.depends_on)) {
      for (const [dependency, condition] of Object.entries(spec.depends_on)) {
        if (!isPlainObject(condition)) continue
        for (const key of ['restart', 'required'] as const) {
          if (condition[key] !== undefined) {
            out.push({where: at(`depends_on.${dependency}.${key}`), problem: `depends_on '${key}' is not known to docker-compose 1.29 on the server`, fix: `remove '${key}: ${String(condition[key])}' (keep condition:)`})
          }
        }
      }
    }

    if (isPlainObject(spec.build)) {
      for (const key of NEWER_BUILD_KEYS) {
        if (spec.build[key] !== undefined) out.push({where: at(`build.${key}`), problem: `build '${key}' is not known to docker-compose 1.29 on the server`, fix: 'remove it, or build the image elsewhere and use image:'})
      }
    }

    if (isPlainObject(spec.healthcheck) && spec.healthcheck.start_interval !== undefined) {
      out.push({where: at('healthcheck.start_interval'), problem: "'start_interval' is not known to docker-compose 1.29 on the server", fix: 'remove it (start_period still applies)'})
    }

    if (Array.isArray(spec.env_file) && spec.env_file.some((entry) => isPlainObject(entry))) {
      out.push({where: at('env_file'), problem: 'env_file entries with path:/required: are not known to docker-compose 1.29 on the server', fix: 'list the files as plain paths (env_file: [.env.app])'})
    }

    if (!hostNetwork(service, spec)) continue
    for (const key of ['links', 'external_links'] as const) {
      if (spec[key] !== undefined) {
        out.push({
          where: at(`${key}:`),
          problem: 'the Docker daemon refuses links for a service on the host network',
          fix: `remove ${key}: and reach the other service at its \${<SERVICE>_IP} (e.g. DB_HOST=\${DB_IP})`,
        })
      }
    }

    const netSysctls = sysctlNames(spec.sysctls).filter((sysctl) => sysctl.startsWith('net.'))
    if (netSysctls.length > 0) {
      out.push({
        where: at('sysctls:'),
        problem: `the Docker daemon refuses ${netSysctls.join(', ')} for a service on the host network (it would change the server's own network settings)`,
        fix: 'remove the net.* sysctls, or set them on the server itself (sysctl.d) if the server should have them',
      })
    }
  }

  return out
}

function sysctlNames(sysctls: unknown): string[] {
  if (Array.isArray(sysctls)) return sysctls.map((entry) => String(entry).split('=')[0].trim())
  if (isPlainObject(sysctls)) return Object.keys(sysctls)
  return []
}

/** Refuses FILES when any has a problem, naming each one with its fix. */
export function checkCompat(files: readonly ComposeFile[], options: CompatOptions = {}): void {
  const problems = files.flatMap((file) => compatProblems(file, options))
  if (problems.length === 0) return
  const lines = problems.map((p) => `  ${p.where} ${p.problem}; ${p.fix}`)
  throw new UsageError(`${problems.length === 1 ? 'The compose file asks' : 'The compose files ask'} for what fails on the server:\n${lines.join('\n')}`, {
    field: 'compose file',
    suggestion: 'Change the compose file as each line says; nothing was sent or started.',
  })
}
