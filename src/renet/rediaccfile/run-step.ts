/**
 * Runs one step of one Rediaccfile: bash in the Rediaccfile's folder sources it and calls the function, with
 * `set -e` so a failing command inside the function fails the step instead of being skipped over. Output is
 * streamed line by line with the folder as prefix.
 */
import {spawn} from 'node:child_process'

import type {Rediaccfile, Step} from './discover.js'
import {LinePrefixer} from './line-prefixer.js'

const SCRIPT = `set -e
source ./Rediaccfile
if ! declare -F "$1" >/dev/null; then
  echo "Rediaccfile defines no $1 function" >&2
  exit 127
fi
"$1"`

export interface StepRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
}

export interface RunStepOptions {
  file: Rediaccfile
  step: Step
  env: NodeJS.ProcessEnv
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Aborting sends SIGTERM to the step's whole process group (bash and whatever it started). */
  signal?: AbortSignal
}

export function runStep(options: RunStepOptions): Promise<StepRun> {
  const prefix = `[${options.file.folder}] `
  const out = new LinePrefixer(prefix, options.stdout)
  const err = new LinePrefixer(prefix, options.stderr)
  return new Promise((resolve, reject) => {
    // Its own process group, so an abort reaches docker compose and everything else the step started.
    const child = spawn('bash', ['-c', SCRIPT, 'rediaccfile', options.step], {
      cwd: options.file.dir,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const abort = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM')
        } catch {
          // already gone
        }
      }
    }

    options.signal?.addEventListener('abort', abort, {once: true})
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', abort)
      out.end()
      err.end()
      resolve({exitCode, signal})
    })
  })
}
