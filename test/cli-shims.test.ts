import {createRequire} from 'node:module'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

// The stand-ins scripts/build-cli.mjs puts into dist/cli.cjs in place of slower code of oclif's.
const require = createRequire(import.meta.url)
const {compareIds} = require('../scripts/cli-shims/compare-ids.cjs') as {compareIds: (a: string, b: string) => number}

describe('compareIds (oclif sorts command ids with it instead of localeCompare)', () => {
  it('orders ids of letters, digits, "-" and ":" exactly as localeCompare does', () => {
    const id = fc.string({unit: fc.constantFrom(...'-:0123456789abcdefghijklmnopqrstuvwxyz'), maxLength: 12})
    fc.assert(fc.property(id, id, (a, b) => Math.sign(compareIds(a, b)) === Math.sign(a.localeCompare(b))), {numRuns: 20_000})
  })

  it('falls back to localeCompare for any other string', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => Math.sign(compareIds(a, b)) === Math.sign(a.localeCompare(b))), {numRuns: 5000})
    expect(Math.sign(compareIds('Context', 'context'))).toBe(Math.sign('Context'.localeCompare('context')))
  })

  it('sorts real command ids the way oclif listed them before', () => {
    const ids = ['repo:up', 'context:show-infra', 'context', 'context:show', 'diagnose', 'autocomplete:script', 'autocomplete', 'context2', 'repo-x', 'help']
    expect([...ids].sort(compareIds)).toEqual([...ids].sort((a, b) => a.localeCompare(b)))
    expect([...ids].sort(compareIds)).toEqual(['autocomplete', 'autocomplete:script', 'context', 'context:show', 'context:show-infra', 'context2', 'diagnose', 'help', 'repo-x', 'repo:up'])
  })
})
