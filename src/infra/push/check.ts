/**
 * `rdc context push-infra --check`: the dry run of a push, read as a verdict for CI or cron. Nothing is changed;
 * each machine that differs from what a push would make (a file created or changed, a service that would be
 * restarted or started) is shown with its diff, and the answer says which differ.
 */
import {FailureError, InfraDriftError, type RdcError} from '../../errors.js'
import {runPushInfra, type PushCommandOptions} from './command.js'
import {dryRunReport, resultLine} from './report.js'
import type {MachinePushResult, PushSummary} from './run.js'

export interface PushCheckResult extends PushSummary {
  check: true
  /** Machines that differ from what a push would make. */
  differing: string[]
}

export function differs(r: MachinePushResult): boolean {
  return r.status === 'planned' && (r.files.some((f) => f.action === 'create' || f.action === 'update') || Object.keys(r.services).length > 0)
}

export function checkText(s: PushSummary): string {
  return s.machines
    .map((r) => (r.status === 'failed' ? `${resultLine(r)}${r.error?.suggestion ? `\n  ${r.error.suggestion}` : ''}` : differs(r) ? dryRunReport(r) : `${r.machine}: matches what a push would make`))
    .join('\n')
}

/** The summary, and the error the command exits with: a failed machine (1) before a differing one (infraDrift). */
export async function runPushCheck(o: Omit<PushCommandOptions, 'dryRun' | 'out' | 'installPrereqs'>): Promise<{result: PushCheckResult; error?: RdcError}> {
  const summary = (await runPushInfra({...o, dryRun: true, json: true, log: () => undefined})) as PushSummary
  const differing = summary.machines.filter((r) => differs(r)).map((r) => r.machine)
  const result: PushCheckResult = {...summary, check: true, differing}
  if (!o.json) o.log(checkText(summary))
  const failed = summary.machines.filter((r) => r.status === 'failed').map((r) => r.machine)
  if (failed.length > 0) {
    return {result, error: new FailureError(`Could not check ${failed.join(', ')}: see above. Nothing was changed.`, {suggestion: summary.machines.find((r) => r.status === 'failed')?.error?.suggestion})}
  }

  if (differing.length > 0) {
    return {
      result,
      error: new InfraDriftError(`${differing.join(', ')} ${differing.length === 1 ? 'differs' : 'differ'} from what a push would make. Nothing was changed.`, {
        suggestion: `Review the diff above, then push: rdc context push-infra ${differing.join(' ')}`,
      }),
    }
  }

  return {result}
}
