/**
 * Running RemoteSteps over a Transport, and the live output of long steps: every line prefixed with the machine
 * name as it arrives.
 */
import {RemoteError} from '../errors.js'
import {LinePrefixer} from '../renet/rediaccfile/line-prefixer.js'
import {SUMMARY_MARKER} from '../renet/rediaccfile/summary.js'
import type {ExecResult, Transport} from '../remote/transport.js'
import type {RemoteStep} from './steps.js'

export async function runStep(t: Transport, step: RemoteStep, opts: {onStdout?: (c: Buffer) => void; onStderr?: (c: Buffer) => void} = {}): Promise<ExecResult> {
  return t.exec(step.argv, {...(step.timeoutMs === undefined ? {} : {timeoutMs: step.timeoutMs}), ...opts})
}

/** Runs the step and throws a RemoteError (with its stderr) unless it exits 0. */
export async function runChecked(t: Transport, step: RemoteStep, machine: string, what: string, suggestion?: string): Promise<ExecResult> {
  const r = await runStep(t, step)
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim()
    throw new RemoteError(`${what} failed on ${machine} (exit ${r.code})${detail ? `: ${detail}` : ''}`, {host: machine, command: step.label, exitCode: r.code, stderr: r.stderr}, suggestion ? {suggestion} : {})
  }

  return r
}

export interface LiveOutput {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** Runs a step with its output streamed live, each line prefixed by the machine name. */
export async function runStreamed(t: Transport, step: RemoteStep, machine: string, live: LiveOutput): Promise<ExecResult> {
  const prefix = `${machine} | `
  const out = new LinePrefixer(prefix, live.stdout)
  const err = new LinePrefixer(prefix, live.stderr, (line) => line.startsWith(SUMMARY_MARKER))
  try {
    return await runStep(t, step, {onStdout: out.push, onStderr: err.push})
  } finally {
    out.end()
    err.end()
  }
}
