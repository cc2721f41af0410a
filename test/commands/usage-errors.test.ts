import {readFileSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli, type CliResult, ensureBuilt, ROOT} from '../lab/index.js'

/**
 * Bad input is reported the same way with and without --json: exit 2 (README, Exit codes), and with --json the
 * documented `{error: {kind, exitCode, message, suggestion?, field?}}`, never oclif's parse state (its
 * configuration, manifest and flags: thousands of lines). Runs the installed entry point, as users do.
 */

const KINDS = ['kind', 'exitCode', 'message', 'suggestion', 'field']
const SMALL = 2048
const COMMANDS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}).commands).sort()

let dir: string

type Run = CliResult

/** As users run it, on a context file of the test's own. */
function rdc(args: string[]): Promise<Run> {
  return cli(args, {config: join(dir, 'config.yaml'), cwd: dir})
}

/** The --json answer of a failed command: only `error`, with only the documented fields. */
function errorOf(r: Run, exitCode: number): {kind: string; exitCode: number; message: string; suggestion?: string; field?: string} {
  const what = `${r.stdout}${r.stderr}`
  expect(r.code, what).toBe(exitCode)
  expect(r.stdout.length + r.stderr.length, what).toBeLessThan(SMALL)
  expect(r.stderr, what).toBe('')
  const json = JSON.parse(r.stdout) as {error: Record<string, unknown>}
  expect(Object.keys(json)).toEqual(['error'])
  for (const key of Object.keys(json.error)) expect(KINDS, `unexpected key ${key}`).toContain(key)
  expect(json.error.exitCode).toBe(exitCode)
  expect(typeof json.error.message).toBe('string')
  if ('suggestion' in json.error) expect(typeof json.error.suggestion).toBe('string')
  return json.error as ReturnType<typeof errorOf>
}

/** The human answer: the same message on stderr, nothing on stdout, small and without oclif's internals. */
function humanError(r: Run, exitCode: number): string {
  const what = `${r.stdout}${r.stderr}`
  expect(r.code, what).toBe(exitCode)
  expect(r.stdout, what).toBe('')
  expect(r.stderr.length, what).toBeLessThan(SMALL)
  expect(r.stderr).not.toMatch(/See more help with --help|at .*node_modules|"parse"/)
  // oclif wraps long lines with " ›   " prefixes; one line of text again for the assertions.
  return r.stderr.replace(/\s*›\s+/g, ' ').replace(/\s+/g, ' ').trim()
}

beforeAll(async () => {
  ensureBuilt()
  dir = await mkdtemp(join(tmpdir(), 'rdc-usage-errors-'))
  await writeFile(join(dir, 'package.json'), '{"name": "t"}')
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('an unknown flag, on every command', () => {
  it('the manifest lists the commands', () => {
    expect(COMMANDS.length).toBeGreaterThan(15)
    expect(COMMANDS).toContain('context:add-machine')
    expect(COMMANDS).toContain('repo:up')
  })

  it.each(COMMANDS.map((id) => id.replace(/:/g, ' ')))('rdc %s --no-such-flag: exit 2, with and without --json', async (name) => {
    const words = name.split(' ')
    const [json, human] = await Promise.all([rdc([...words, '--no-such-flag', '--json']), rdc([...words, '--no-such-flag'])])
    const error = errorOf(json, 2)
    expect(error).toMatchObject({kind: 'usage', exitCode: 2, field: '--no-such-flag'})
    expect(error.message).toBe(`Unknown flag --no-such-flag for "rdc ${words.join(' ')}".`)
    expect(error.suggestion).toContain(`rdc ${words.join(' ')} --help`)
    expect(humanError(human, 2)).toContain(`Unknown flag --no-such-flag for "rdc ${words.join(' ')}"`)
  })
})

describe('other bad input', () => {
  const cases: Array<{args: string[]; field?: string; message: RegExp}> = [
    {args: ['context', 'add-machine', 's1'], field: '--host', message: /^Missing required flag --host\.$/},
    {args: ['context', 'use'], field: 'name', message: /^Missing required argument: NAME \(Context name\)\.$/},
    {args: ['context', 'rename', 'a'], field: 'new-name', message: /^Missing required argument: NEW-NAME/},
    {args: ['context', 'create', 'a', 'b', 'c'], message: /^Unexpected arguments: b c\.$/},
    {args: ['repo', 'up', 'x', '--lock-wait', '-1'], field: '--lock-wait', message: /^Invalid value for --lock-wait: .*greater than or equal to 0.*-1$/},
    {args: ['repo', 'down', 'x', '--lock-wait', 'soon'], field: '--lock-wait', message: /^Invalid value for --lock-wait: expected an integer/},
    {args: ['context', 'add-machine', 's1', '--host', 'h', '--port', '70000'], field: '--port', message: /^Invalid value for --port: /},
    {args: ['context', 'set-infra', 'm', '--unset', 'bogus'], field: '--unset', message: /^Expected --unset=bogus to be one of: /},
    {args: ['context', 'add-machine', 's1', '--host'], field: '--host', message: /^Flag --host expects a value\.$/},
    {args: ['repo', 'delete', 'x', '--force', '--purge'], message: /cannot also be provided when using/},
  ]

  it.each(cases.map((c) => [c.args.join(' '), c] as const))('rdc %s: exit 2, with and without --json', async (_, {args, field, message}) => {
    const [json, human] = await Promise.all([rdc([...args, '--json']), rdc(args)])
    const error = errorOf(json, 2)
    expect(error.kind).toBe('usage')
    expect(error.message).toMatch(message)
    if (field) expect(error.field).toBe(field)
    expect(error.suggestion).toContain(`rdc ${args[0]} ${args[1]}`)
    const text = humanError(human, 2)
    expect(text).toContain(error.message.slice(0, 30))
  })

  it('suggests the flag that was meant', async () => {
    const error = errorOf(await rdc(['repo', 'up', 'webapp', '--lock-wiat', '60', '--json']), 2)
    expect(error.suggestion).toMatch(/^Did you mean --lock-wait\?/)
  })

  it('shows the usage line for a missing argument or required flag', async () => {
    expect(errorOf(await rdc(['context', 'add-machine', '--json']), 2).suggestion).toContain('Usage: rdc context add-machine NAME --host <value> [flags]')
  })
})

describe('an unknown command', () => {
  it('exits 127, with the closest command; --json gives the same as a JSON error', async () => {
    const [json, human] = await Promise.all([rdc(['context', 'show-infar', '--json']), rdc(['context', 'show-infar'])])
    const error = errorOf(json, 127)
    expect(error).toEqual({
      kind: 'unknownCommand',
      exitCode: 127,
      message: 'context show-infar is not an rdc command.',
      suggestion: 'Did you mean "rdc context show-infra"? Run "rdc help context" for the list of commands.',
    })
    const text = humanError(human, 127)
    expect(text).toContain('context show-infar is not an rdc command.')
    expect(text).toContain('Did you mean "rdc context show-infra"?')
    const far = humanError(await rdc(['deploy-everything']), 127)
    expect(far).toContain('deploy-everything is not an rdc command.')
    expect(far).toContain('Run "rdc help" for the list of commands.')
  })
})
