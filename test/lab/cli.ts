/**
 * The one way tests, benchmarks and the demo run rdc: the built CLI (bin/run.js, the bundle users install) as a
 * child process. cli() waits for it and gives the exit code, both streams and, with --json, the parsed output;
 * spawnCli() hands back the live child for tests that watch, signal or race it.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {stripVTControlCharacters} from 'node:util'

import {BIN, ensureBuilt} from './build.js'


export interface CliOptions {
  /**
   * The context file (RDC_CONFIG). With it, nothing of the caller's own rdc setup (RDC_CONTEXT, RDC_MACHINE,
   * RDC_CF_DNS_TOKEN) reaches the run; without it, the run inherits the caller's environment as it is.
   */
  config?: string
  /** Default: the current folder. */
  cwd?: string
  /** Set on top of the environment (e.g. HOME, or RDC_CF_DNS_TOKEN for a push). */
  env?: NodeJS.ProcessEnv
  /** Fed to standard input, which is then closed (default: closed at once). */
  input?: string
  /** Another copy's bin/run.js (a build with another version, say). */
  bin?: string
  /** Each chunk of output as it comes, for callers that show the run live (the demo). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void
}

export interface CliResult {
  /** The exit code; 128 + the signal number's stand-in (128) when a signal ended the run. */
  code: number
  stdout: string
  stderr: string
  /** With --json: the parsed output (the result, or {error}). */
  json?: any
}

/**
 * The environment a run gets: as a user runs it, so vitest's NODE_ENV=test (which turns on oclif's development
 * behaviour) is dropped, and no colours (the assertions are about the words).
 */
export function cliEnv(options: Pick<CliOptions, 'config' | 'env'> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.NODE_ENV
  if (options.config !== undefined) {
    delete env.RDC_CONTEXT
    delete env.RDC_MACHINE
    delete env.RDC_CF_DNS_TOKEN
    env.RDC_CONFIG = options.config
  }
  return {...env, ...options.env}
}

export interface SpawnedCli {
  child: ChildProcess
  pid: number
  /** Output so far, colours stripped. */
  stdout(): string
  stderr(): string
  /** Resolves with stderr so far once it matches (progress lines go to stderr); rejects if the run ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** The exit code, or null when a signal ended the run. */
  exit: Promise<number | null>
  /** The whole run once it has ended, as cli() gives it. */
  result: Promise<CliResult>
}

/** The built CLI as a child process that a caller can watch and signal while it runs. */
export function spawnCli(args: string[], options: CliOptions = {}): SpawnedCli {
  if (options.bin === undefined) ensureBuilt()
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {cwd: options.cwd, env: cliEnv(options), stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c
    options.onOutput?.('stdout', c)
  })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c
    options.onOutput?.('stderr', c)
  })
  // A child that exits before reading its input must not fail the caller with EPIPE.
  child.stdin!.on('error', () => {})
  child.stdin!.end(options.input ?? '')
  const ended = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({code, signal}))
  })
  const exit = ended.then((e) => e.code)
  const result = ended.then(({code, signal}) => {
    const out = stripVTControlCharacters(stdout)
    const r: CliResult = {code: code ?? (signal ? 128 : 1), stdout: out, stderr: stripVTControlCharacters(stderr)}
    if (args.includes('--json') && out.trim()) r.json = JSON.parse(out)
    return r
  })
  // Callers that only watch `exit` must not see an unhandled rejection from a non-JSON --json run.
  result.catch(() => {})
  return {
    child,
    pid: child.pid!,
    stdout: () => stripVTControlCharacters(stdout),
    stderr: () => stripVTControlCharacters(stderr),
    exit,
    result,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      let done = false
      void exit.then(() => (done = true))
      while (!pattern.test(stderr)) {
        if (done || Date.now() > deadline) throw new Error(`rdc ${args.join(' ')}: no ${pattern} in its output${done ? ' before it ended' : ''}:\n${stderr}`)
        await new Promise((r) => setTimeout(r, 50))
      }

      return stderr
    },
  }
}

/** Runs `rdc ARGS` to its end: exit code, stdout, stderr, and the parsed output with --json. */
export function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).result
}
