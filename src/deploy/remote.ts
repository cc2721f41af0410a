/**
 * The live output of long steps: every line prefixed with the machine name as it arrives. Steps themselves, and
 * running them, are src/remote/step.ts.
 */
import {LinePrefixer} from '../renet/rediaccfile/line-prefixer.js'
import {SUMMARY_MARKER} from '../renet/rediaccfile/summary.js'
import type {ExecResult, Transport} from '../remote/transport.js'
import {type RemoteStep, runStep} from '../remote/step.js'

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
