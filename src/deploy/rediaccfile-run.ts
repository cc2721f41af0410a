/** One `renet rediaccfile <step>` on the server, streamed live, read back through its RENET_RESULT summary. */
import {FailureError, type RdcError, RemoteError, UsageError} from '../errors.js'
import {parseSummary, type RediaccfileSummary} from '../renet/rediaccfile/summary.js'
import type {Transport} from '../remote/transport.js'
import type {RepoLocation} from './layout.js'
import {type LiveOutput, runStreamed} from './remote.js'
import {rediaccfileStep} from './steps.js'

export interface RediaccfileRun {
  summary: RediaccfileSummary
  exitCode: number
  durationMs: number
}

export async function runRediaccfile(t: Transport, loc: RepoLocation, action: 'prep' | 'up' | 'down', machine: string, live: LiveOutput): Promise<RediaccfileRun> {
  const started = Date.now()
  const r = await runStreamed(t, rediaccfileStep(loc, action), machine, live)
  let summary: RediaccfileSummary | null = null
  try {
    summary = parseSummary(r.stderr)
  } catch {}
  if (summary === null) {
    const tail = r.stderr.trim().split('\n').slice(-10).join('\n')
    throw new RemoteError(`renet rediaccfile ${action} on ${machine} ended (exit ${r.code}) without its summary${tail ? `:\n${tail}` : ''}`, {host: machine, command: `renet rediaccfile ${action}`, exitCode: r.code, stderr: r.stderr}, {
      suggestion: `Bring renet up to date with this rdc: rdc context push-infra ${machine}`,
    })
  }

  return {summary, exitCode: r.code, durationMs: Date.now() - started}
}

/**
 * The error a failed prep/up run stands for: bad input that renet refused before anything ran (usage), or a
 * step that failed (failure), naming the folder and what was left running.
 */
export function rediaccfileError(run: RediaccfileRun, machine: string, repo: string): RdcError | undefined {
  const {summary} = run
  if (summary.ok) return undefined
  if (summary.error) {
    return new UsageError(`${machine}: ${summary.error.message} (nothing was run)`, {field: 'Rediaccfile', ...(summary.error.suggestion ? {suggestion: summary.error.suggestion} : {})})
  }

  const failed = summary.failed.map(folderName).join(', ')
  if (summary.action === 'prep') {
    return new FailureError(`prep failed in ${failed} on ${machine}; up was not run (what ran before keeps running as it was).`, {
      suggestion: `Fix it (its output is above, prefixed "${machine} | [${summary.failed[0]}]") and run rdc repo up ${repo} again.`,
    })
  }

  const upAlready = summary.steps.filter((s) => s.status === 'ok').map((s) => folderName(s.folder))
  const left = upAlready.length > 0 ? ` These came up and keep running: ${upAlready.join(', ')} (stop them with rdc repo down ${repo}).` : ''
  return new FailureError(`${summary.action} failed in ${failed} on ${machine} (exit ${summary.steps.find((s) => s.status === 'failed')?.exitCode ?? '?'}).${left}`, {
    suggestion: `Its output is above, prefixed "${machine} | [${summary.failed[0]}]"; fix it and run rdc repo up ${repo} again.`,
  })
}

function folderName(folder: string): string {
  return folder === '.' ? 'the root Rediaccfile' : `${folder}/Rediaccfile`
}
