import {cli} from '../../test/lab/index.js'
import {REPO_ROOT} from '../../test/testhost/instance.js'
import {DemoError} from './output.js'

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
 * Runs `node bin/run.js ARGS` (the lab's cli()) against the demo's own config file, printing the command line and its output as it
 * comes. The secrets given must never appear in what rdc prints: one that does fails the step.
 */
export class Rdc {
  /** Nothing from the person's own rdc setup (context, machine, token) steers the demo: cli() with a config sees to it. */
  constructor(
    readonly configPath: string,
    private readonly secrets: string[],
    private readonly print: (line: string) => void,
  ) {}

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

  /** The lab's runner, echoing each whole line of output (secrets masked) as it comes. */
  private async spawn(args: string[], input: string | undefined, echo: boolean): Promise<RdcResult> {
    const masked = (l: string) => this.secrets.reduce((acc, secret) => acc.replaceAll(secret, '***'), l)
    const pending = {stdout: '', stderr: ''}
    const sink = (l: string) => echo && this.print(`  ${masked(l)}`)
    const r = await cli(args, {
      config: this.configPath,
      cwd: REPO_ROOT,
      input,
      onOutput(stream, chunk) {
        const parts = (pending[stream] + chunk).split('\n')
        pending[stream] = parts.pop()!
        for (const p of parts) sink(p)
      },
    })
    for (const rest of [pending.stdout, pending.stderr]) if (rest) sink(rest)
    return {code: r.code, stdout: r.stdout, stderr: r.stderr}
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ')
}
