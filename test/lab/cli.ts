import {execFileSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {format} from 'node:util'

import {runCommand} from '@oclif/test'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function newest(dir: string): number {
  let max = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) max = Math.max(max, newest(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) max = Math.max(max, statSync(path).mtimeMs)
  }
  return max
}

let checked = false

/**
 * Command tests run the built CLI (dist/, as users get it, with the manifest). `npm test` builds first; when
 * vitest is run on its own and the sources are newer than the build, build once here.
 */
export function ensureBuilt(): void {
  if (checked) return
  checked = true
  let built = 0
  try {
    built = statSync(join(ROOT, 'dist', 'commands', 'context', 'show-infra.js')).mtimeMs
  } catch {}
  if (built < newest(join(ROOT, 'src'))) execFileSync('npm', ['run', '--silent', 'build'], {cwd: ROOT, stdio: 'inherit'})
}

export interface CliResult<T> {
  stdout: string
  stderr: string
  result?: T
  exitCode: number
  /** With --json: the parsed output (success value or {error}). */
  json?: any
}

/** Runs `rdc ARGS` in-process through oclif (runCommand) and returns its output and exit code. */
export async function rdc<T = unknown>(args: string[]): Promise<CliResult<T>> {
  ensureBuilt()
  process.exitCode = undefined
  // runCommand re-splits its arguments on blanks; quoting keeps values such as host keys in one piece.
  const quoted = args.map((a) => (/\s/.test(a) ? `"${a}"` : a))
  // oclif prints through console.log, which vitest intercepts; route it to the streams runCommand captures.
  const {log, error: logError} = console
  console.log = (...a: unknown[]) => process.stdout.write(`${format(...a)}\n`)
  console.error = (...a: unknown[]) => process.stderr.write(`${format(...a)}\n`)
  let captured: Awaited<ReturnType<typeof runCommand<T>>>
  try {
    captured = await runCommand<T>(quoted, {root: ROOT})
  } finally {
    console.log = log
    console.error = logError
  }
  const {stdout, stderr, result, error} = captured
  const exitCode = (error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (typeof process.exitCode === 'number' ? process.exitCode : error ? 1 : 0)
  process.exitCode = undefined
  let json: any
  if (args.includes('--json') && stdout.trim()) json = JSON.parse(stdout)
  return {stdout, stderr: stderr + (error && !args.includes('--json') ? `${error.message}\n${((error as {suggestions?: string[]}).suggestions ?? []).join('\n')}\n` : ''), result, exitCode, json}
}
