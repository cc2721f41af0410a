import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {REPO_ROOT} from '../../test/testhost/instance.js'
import {DemoError} from './output.js'

/** The built CLI, run as a user runs it (`rdc` on PATH is this file). */
export const CLI = join(REPO_ROOT, 'bin/run.js')

export interface RdcResult {
  code: number
  stdout: string
  stderr: string
}

export interface RdcRunOptions {
  /** Fed to standard input, e.g. a secret for `--cf-dns-token -`. */
  stdin?: {value: string; shownAs: string}
  /** Exit codes that are not a failure of the step (default: 0 only). */
  okCodes?: number[]
}

/** What the demo prints for a command line: arguments with spaces quoted, so it can be pasted into a shell. */
export function shellLine(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ')
}

/**
 * Runs `node bin/run.js ARGS` against the demo's own config file, printing the command line and its output as it
 * comes. The secrets given must never appear in what rdc prints: one that does fails the step.
 */
export class Rdc {
  private readonly env: NodeJS.ProcessEnv

  constructor(
    readonly configPath: string,
    private readonly secrets: string[],
    private readonly print: (line: string) => void,
  ) {
    // Nothing from the person's own rdc setup (context, machine, token) may steer the demo.
    const {RDC_CONTEXT: _c, RDC_MACHINE: _m, RDC_CF_DNS_TOKEN: _t, ...rest} = process.env
    this.env = {...rest, RDC_CONFIG: configPath, NO_COLOR: '1'}
  }

  async run(step: string, args: string[], options: RdcRunOptions = {}): Promise<RdcResult> {
    const line = `rdc ${shellLine(args)}`
    this.print(`$ ${options.stdin ? `printf %s ${options.stdin.shownAs} | ${line}` : line}`)
    const r = await this.spawn(args, options.stdin?.value, true)
    const leaked = this.secrets.filter((s) => r.stdout.includes(s) || r.stderr.includes(s))
    if (leaked.length > 0) throw new DemoError(step, `rdc ${args.slice(0, 2).join(' ')} printed a secret it was given`)
    if (!(options.okCodes ?? [0]).includes(r.code)) {
      throw new DemoError(step, `rdc ${shellLine(args)} exited with ${r.code}${r.stderr.trim() ? `: ${lastLines(r.stderr, 5)}` : ''}`)
    }

    return r
  }

  private spawn(args: string[], input: string | undefined, echo: boolean): Promise<RdcResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {cwd: REPO_ROOT, env: this.env, stdio: ['pipe', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      const lines = (sink: (s: string) => void) => {
        let pending = ''
        return {
          data: (chunk: string) => {
            pending += chunk
            const parts = pending.split('\n')
            pending = parts.pop()!
            for (const p of parts) sink(p)
          },
          end: () => pending && sink(pending),
        }
      }

      const masked = (s: string) => this.secrets.reduce((acc, secret) => acc.replaceAll(secret, '***'), s)
      const out = lines((l) => echo && this.print(`  ${masked(l)}`))
      const err = lines((l) => echo && this.print(`  ${masked(l)}`))
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c
        out.data(c)
      })
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c
        err.data(c)
      })
      child.on('error', reject)
      child.on('close', (code, signal) => {
        out.end()
        err.end()
        resolve({code: code ?? (signal ? 128 : 1), stdout, stderr})
      })
      child.stdin.on('error', () => {})
      child.stdin.end(input)
    })
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ')
}
