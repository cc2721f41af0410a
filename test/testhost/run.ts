import {spawn, spawnSync} from 'node:child_process'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  input?: string | Buffer
  timeoutMs?: number
}

/** Runs a program (no shell) and collects its output; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.on('error', (error) => {
      if (timer) clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({code: code ?? (signal ? 128 : 1), stdout, stderr})
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input)
  })
}

/** Like run, but a non-zero exit is an error that names the command and quotes its stderr. */
export async function runOk(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await run(cmd, args, options)
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`)
  }

  return result.stdout
}

/** Synchronous variant for signal handlers and exit paths, where nothing asynchronous may run any more. */
export function runSync(cmd: string, args: string[], env?: NodeJS.ProcessEnv): RunResult {
  const r = spawnSync(cmd, args, {env: env ?? process.env, encoding: 'utf8', timeout: 30_000})
  return {code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? ''}
}
