// Entry point of `renet rediaccfile` (see USAGE and README.md beside this file).
import {realpathSync} from 'node:fs'

import {UsageError} from '../../errors.js'
import {resolveRepository, type RepositoryFlags} from '../compose/repository.js'
import {reportError} from '../report-error.js'
import {STEPS, type Step} from './discover.js'
import {runRediaccfiles} from './runner.js'
import {formatSummary} from './summary.js'

const USAGE = `Usage: renet rediaccfile <prep|up|down> --path DIR --network-id ID [--name NAME] [--docker-host URL]

Runs a step of the repository's Rediaccfiles (the root's and those in first-level folders) in bash, each in its
own folder, with REPOSITORY_PATH, REPOSITORY_NAME, REPOSITORY_NETWORK_ID, DOCKER_HOST and {SERVICE}_IP of every
service set. prep and up run A→Z and stop at the first failure; down runs Z→A and carries on past failures.
Output lines are prefixed with the Rediaccfile's folder; the last line on stderr is
'RENET_RESULT <json summary>'. Exit codes: 0 all ran, 1 a step failed, 2 bad input (nothing ran).
`

const FLAGS: Record<string, keyof RepositoryFlags> = {
  '--path': 'repoPath',
  '--repo-path': 'repoPath', // the name renet compose and its error messages use
  '--network-id': 'networkId',
  '--name': 'name',
  '--docker-host': 'dockerHost',
}

function parseArgs(argv: readonly string[]): {action?: Step; flags: RepositoryFlags; help: boolean} {
  const flags: RepositoryFlags = {}
  let action: Step | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--help' || arg === '-h') return {flags, help: true}
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    const key = FLAGS[name]
    if (key !== undefined) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i]
      if (value === undefined) throw new UsageError(`${name} needs a value`, {field: name.slice(2)})
      flags[key] = value
    } else if ((STEPS as readonly string[]).includes(arg) && action === undefined) {
      action = arg as Step
    } else {
      throw new UsageError(`unexpected argument '${arg}'`, {field: 'args', suggestion: USAGE.split('\n')[0]})
    }
  }

  return {action, flags, help: false}
}

export async function main(argv: string[]): Promise<number> {
  const stderr = (text: string) => process.stderr.write(text)
  const stdout = (text: string) => process.stdout.write(text)
  const controller = new AbortController()
  const onSignal = () => controller.abort()
  try {
    const {action, flags, help} = parseArgs(argv)
    if (help) {
      stdout(USAGE)
      return 0
    }

    if (action === undefined) throw new UsageError('which step? prep, up or down', {field: 'step', suggestion: USAGE.split('\n')[0]})
    const repo = resolveRepository(flags, process.env)
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
    // rdc may go away mid-step (killed, its connection lost): the steps then run to their end instead of dying at
    // their next line of output, and rdc's deploy lock on the server is held until this process ends.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)
    const summary = await runRediaccfiles({
      repo,
      action,
      renet: {node: process.execPath, script: realpathSync(process.argv[1])},
      env: process.env,
      stdout,
      stderr,
      signal: controller.signal,
    })
    if (summary.error !== undefined) {
      stderr(`renet rediaccfile: ${summary.error.message}\n`)
      if (summary.error.suggestion !== undefined) stderr(`  ${summary.error.suggestion}\n`)
    }

    stderr(formatSummary(summary))
    return summary.ok ? 0 : summary.error === undefined ? 1 : 2
  } catch (error) {
    return reportError('rediaccfile', error, stderr)
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  }
}
