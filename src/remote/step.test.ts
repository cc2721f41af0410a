import fc from 'fast-check'
import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {RemoteError} from '../errors.js'
import {runChecked, scriptStep, shellQuote} from './step.js'
import type {Transport} from './transport.js'

describe('scriptStep', () => {
  it('passes values as positional arguments, never in the script text', () => {
    expect(scriptStep('create image', 'echo "$1"', ['/a b'], 120_000)).toEqual({label: 'create image', argv: ['sh', '-c', 'echo "$1"', 'rdc-create-image', '/a b'], timeoutMs: 120_000})
    expect(scriptStep('commit', 'true', [], undefined, 'rdc-commit')).toEqual({label: 'commit', argv: ['sh', '-c', 'true', 'rdc-commit']})
  })
})

describe('shellQuote', () => {
  it('gives sh back exactly the word it was given', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom('a', ' ', "'", '"', '$', '(', '\\', '*', '\n', '-', '/', '=')}), (word) => {
        expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], {encoding: 'utf8'})).toBe(word)
      }),
      {numRuns: 40},
    )
  })
})

describe('runChecked', () => {
  const answering = (code: number, stderr: string): Transport => ({
    exec: async () => ({code, stdout: '', stderr}),
    put: async () => undefined,
    get: async () => null,
    close: async () => undefined,
  })

  it('returns the result on exit 0 and names the step and machine otherwise', async () => {
    const step = {label: 'mount', argv: ['true']}
    expect((await runChecked(answering(0, ''), step, 'm1', 'Mounting')).code).toBe(0)
    const err = await runChecked(answering(3, 'busy\n'), step, 'm1', 'Mounting', 'try again').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as RemoteError).message).toBe('Mounting failed on m1 (exit 3): busy')
    expect((err as RemoteError).suggestion).toBe('try again')
  })
})
