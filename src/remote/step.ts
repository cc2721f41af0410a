/**
 * Remote work as data, the one vocabulary of repo, push-infra and diagnose: a step is a label and the argv of one
 * exec. Scripts get their values as positional arguments (`$1…`), never spliced into the script text, so no value
 * needs quoting and none can change what the script does; where a command line must be text (a script on stdin),
 * shellQuote is the one quoter.
 */
import {RemoteError} from '../errors.js'
import type {ExecResult, Transport} from './transport.js'

export interface RemoteStep {
  label: string
  argv: string[]
  timeoutMs?: number
}

/**
 * `sh -c <body> <name> <args…>`: the script sees its values as `$1…`. `name` is its `$0`, which sh puts in front
 * of its own error messages; by default `rdc-` and the label.
 */
export function scriptStep(label: string, body: string, args: readonly string[], timeoutMs?: number, name = `rdc-${label.replaceAll(' ', '-')}`): RemoteStep {
  return {label, argv: ['sh', '-c', body, name, ...args], ...(timeoutMs === undefined ? {} : {timeoutMs})}
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/

/** POSIX shell quoting of one word: plain when it cannot be misread, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

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
