/**
 * `renet rediaccfile <prep|up|down>`: checks every Rediaccfile first (syntax, an `up` function, compose files and
 * service names), gives out slots, then runs the step in each: prep and up A→Z stopping at the first failure,
 * down Z→A carrying on past failures so as much as possible is stopped.
 */
import {spawnSync} from 'node:child_process'

import {RdcError, UsageError} from '../../errors.js'
import type {Repository} from '../compose/repository.js'
import {findRediaccfiles, REDIACCFILE, type Rediaccfile, type Step} from './discover.js'
import {composeServiceNames, prepareRepositoryEnvironment} from './prepare-env.js'
import {createRenetShim, type RenetProgram} from './renet-shim.js'
import {runStep} from './run-step.js'
import type {RediaccfileSummary, StepResult} from './summary.js'

export interface RunRediaccfilesOptions {
  repo: Repository
  action: Step
  renet: RenetProgram
  /** The environment the steps inherit (PATH, HOME, …); the repository's variables are added to it. */
  env: NodeJS.ProcessEnv
  stdout: (text: string) => void
  stderr: (text: string) => void
  signal?: AbortSignal
}

function checkSyntax(files: readonly Rediaccfile[]): void {
  for (const file of files) {
    const check = spawnSync('bash', ['-n', file.path], {encoding: 'utf8'})
    if (check.status !== 0) {
      throw new UsageError(`${file.path} is not valid bash: ${check.stderr.trim().replace(/\n/g, '; ')}`, {
        field: REDIACCFILE,
        suggestion: `Fix the syntax error; check it with: bash -n ${file.path}`,
      })
    }
  }
}

function checkFunctions(files: readonly Rediaccfile[], action: Step): void {
  if (action === 'down') return // stopping must never be blocked by a Rediaccfile that cannot start
  const missing = files.filter((file) => !file.functions.has('up'))
  if (missing.length > 0) {
    throw new UsageError(`no up function in ${missing.map((file) => file.path).join(', ')}`, {
      field: REDIACCFILE,
      suggestion: 'Every Rediaccfile needs an up() function that starts its services, e.g. up() { renet compose -- up -d; }',
    })
  }
}

function emptySummary(repo: Repository, action: Step): RediaccfileSummary {
  return {action, ok: false, repository: {name: repo.name, path: repo.path, networkId: repo.networkId}, services: {}, steps: [], failed: []}
}

/** Runs the step; never throws for bad input, which ends up in the summary's `error` with nothing run. */
export async function runRediaccfiles(options: RunRediaccfilesOptions): Promise<RediaccfileSummary> {
  const {repo, action} = options
  const summary = emptySummary(repo, action)
  const note = (text: string) => options.stderr(`renet rediaccfile: ${text}\n`)
  let files: Rediaccfile[]
  let env: Record<string, string>
  try {
    files = findRediaccfiles(repo.path)
    if (files.length === 0) {
      throw new UsageError(`no ${REDIACCFILE} in ${repo.path} or its first-level folders`, {
        field: REDIACCFILE,
        suggestion: 'Add a Rediaccfile (bash with prep, up and down functions) beside the compose file.',
      })
    }

    checkSyntax(files)
    checkFunctions(files, action)
    let names: string[] = []
    try {
      const found = composeServiceNames(files)
      names = found.names
      for (const text of found.notes) note(text)
    } catch (error) {
      // Taking things down goes ahead with the slots already given out, whatever state the files are in.
      if (action !== 'down' || !(error instanceof RdcError)) throw error
      note(`${error.message}; going on with the services already in .rediacc.json`)
    }

    const prepared = prepareRepositoryEnvironment(repo, names)
    env = prepared.env
    summary.services = prepared.services
  } catch (error) {
    if (!(error instanceof RdcError)) throw error
    summary.error = {message: error.message, suggestion: error.suggestion}
    return summary
  }

  const ordered = action === 'down' ? [...files].reverse() : files
  const shim = createRenetShim(options.renet)
  try {
    const stepEnv = {...options.env, ...env, PATH: shim.path(options.env.PATH)}
    for (const file of ordered) {
      const stop = summary.failed.length > 0 && action !== 'down'
      if (stop || options.signal?.aborted) {
        summary.steps.push({folder: file.folder, status: 'not-run', exitCode: null, durationMs: 0})
        continue
      }

      if (!file.functions.has(action)) {
        note(`${file.folder}: no ${action} function, skipped`)
        summary.steps.push({folder: file.folder, status: 'skipped', exitCode: null, durationMs: 0, note: `no ${action} function`})
        continue
      }

      note(`${file.folder}: ${action}`)
      const started = Date.now()
      const run = await runStep({file, step: action, env: stepEnv, stdout: options.stdout, stderr: options.stderr, signal: options.signal})
      const result: StepResult = {folder: file.folder, status: run.exitCode === 0 ? 'ok' : 'failed', exitCode: run.exitCode, durationMs: Date.now() - started}
      if (run.signal !== null) result.note = `ended by ${run.signal}`
      summary.steps.push(result)
      if (result.status === 'failed') {
        summary.failed.push(file.folder)
        note(`${file.folder}: ${action} failed (${run.signal ?? `exit code ${run.exitCode}`})`)
        const started = summary.steps.filter((step) => step.status === 'ok').map((step) => step.folder)
        if (action === 'up' && started.length > 0) note(`still running from earlier folders: ${started.join(', ')} (down stops them)`)
      }
    }
  } finally {
    shim.remove()
  }

  summary.ok = summary.failed.length === 0 && !options.signal?.aborted
  return summary
}
