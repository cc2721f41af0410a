/** `renet compose`: prepare, then hand over to docker compose with the repository's daemon and environment. */
import {spawn} from 'node:child_process'

import {UsageError} from '../../errors.js'
import {composeCommand} from './compose-command.js'
import {prepareCompose} from './prepare.js'
import type {Repository} from './repository.js'

export interface RunComposeOptions {
  repo: Repository
  /** The folder it runs in (the Rediaccfile's); compose files are looked up here. */
  dir: string
  files: readonly string[]
  composeArgs: readonly string[]
  env: NodeJS.ProcessEnv
  warn: (line: string) => void
}

/** Runs docker compose and resolves to its exit code. */
export async function runCompose(options: RunComposeOptions): Promise<number> {
  const prepared = prepareCompose({repo: options.repo, dir: options.dir, files: options.files, env: options.env})
  for (const warning of prepared.warnings) options.warn(warning)
  const env = {...options.env, ...prepared.env}
  const [command, ...prefix] = composeCommand(env)
  const args = [...prefix, ...prepared.files.flatMap((file) => ['-f', file]), ...options.composeArgs]
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.dir, env, stdio: 'inherit'})
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new UsageError(`${command} is not installed on this machine`, {
              field: 'compose',
              suggestion: 'Install the docker compose plugin or docker-compose (rdc context push-infra sets up both).',
            })
          : error,
      )
    })
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + signalNumber(signal))))
  })
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15} as Record<string, number>)[signal] ?? 1
}
