import {spawn} from 'node:child_process'

import type {ExecResult, ExecTransport} from '../../src/diagnose/transport.js'

/** Runs argv on this machine, like an SSH exec on a server: stdin in, code/stdout/stderr out. */
export function localTransport(env: NodeJS.ProcessEnv = process.env): ExecTransport & {calls: string[][]} {
  const calls: string[][] = []
  return {
    calls,
    exec(argv, options = {}): Promise<ExecResult> {
      calls.push(argv)
      return new Promise((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), {env, stdio: ['pipe', 'pipe', 'pipe']})
        let stdout = ''
        let stderr = ''
        // Decoded as a stream, so a character split across two chunks stays whole.
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
        const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
        child.once('error', reject)
        child.once('close', (code) => {
          clearTimeout(timer)
          resolve({code: code ?? -1, stdout, stderr})
        })
        child.stdin.on('error', () => {})
        child.stdin.end(options.stdin ?? '')
      })
    },
  }
}
