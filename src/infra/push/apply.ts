import {Secret} from '../../config/secret.js'
import {RemoteError} from '../../errors.js'
import {runStep} from '../../remote/step.js'
import type {Transport} from '../../remote/transport.js'
import type {Plan, Service, Step} from './types.js'

/** What applying a push's plan did (the file sync's is SyncApplyResult, src/renet/sync/wire.ts). */
export interface PushApplyResult {
  ok: boolean
  /** Labels of the steps that finished, in order. */
  done: string[]
  filesUploaded: number
  /** Bytes of file content sent (0 on a no-op push). */
  bytesUploaded: number
  servicesTouched: Service[]
  failedStep?: string
  error?: RemoteError
  /** Whether rollback ran, and the labels of its steps that failed (a cut connection fails them all). */
  rolledBack: boolean
  rollbackFailures: string[]
}

export interface ApplyOptions {
  host?: string
  onStep?: (step: Step, phase: 'start' | 'done' | 'failed') => void
}

const STDERR_TAIL = 2000

/** An upload puts the staged file; an exec must exit 0. */
async function runPushStep(t: Transport, step: Step, host: string): Promise<void> {
  if (step.kind === 'upload') {
    const content = step.content instanceof Secret ? step.content.reveal() : step.content
    await t.put(step.stagePath, content, {mode: step.mode, ...(step.owner ? {owner: step.owner} : {})})
    return
  }

  const r = await runStep(t, step)
  if (r.code !== 0) {
    // The label, never the argv: scripts are long and the message must stay readable.
    throw new RemoteError(
      `'${step.label}' failed on ${host} (exit ${r.code})${r.stderr.trim() ? `: ${r.stderr.trim().slice(-300)}` : ''}`,
      {host, command: step.argv[0], exitCode: r.code, stderr: r.stderr.slice(-STDERR_TAIL)},
    )
  }
}

function asRemoteError(err: unknown, host: string): RemoteError {
  if (err instanceof RemoteError) return err
  return new RemoteError(`${(err as Error)?.message ?? String(err)}`, {host}, {cause: err})
}

/**
 * The one executor: runs a plan's steps in order; on the first failure runs its rollback (restore the previous
 * files, then reload/restart only the services this run had touched) and reports what happened.
 */
export async function applyPlan(t: Transport, plan: Plan, options: ApplyOptions = {}): Promise<PushApplyResult> {
  const host = options.host ?? plan.machine
  const result: PushApplyResult = {ok: true, done: [], filesUploaded: 0, bytesUploaded: 0, servicesTouched: [], rolledBack: false, rollbackFailures: []}
  for (const step of plan.steps) {
    if (step.kind === 'exec' && step.service && !result.servicesTouched.includes(step.service)) result.servicesTouched.push(step.service)
    options.onStep?.(step, 'start')
    try {
      await runPushStep(t, step, host)
    } catch (err) {
      options.onStep?.(step, 'failed')
      result.ok = false
      result.failedStep = step.label
      result.error = asRemoteError(err, host)
      break
    }

    if (step.kind === 'upload') {
      result.filesUploaded++
      result.bytesUploaded += step.content instanceof Secret ? Buffer.byteLength(step.content.reveal()) : Buffer.byteLength(step.content)
    }

    result.done.push(step.label)
    options.onStep?.(step, 'done')
  }

  if (result.ok) return result
  result.rolledBack = true
  for (const step of plan.rollback) {
    if (step.kind === 'exec' && step.service && !result.servicesTouched.includes(step.service)) continue
    try {
      await runPushStep(t, step, host)
    } catch {
      result.rollbackFailures.push(step.label)
    }
  }

  return result
}
