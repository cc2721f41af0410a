import fc from 'fast-check'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {maskEnvContent, unifiedDiff} from './diff.js'

// A folder of this run's own, so two checkouts testing at once don't overwrite each other's files.
let TMP: string
beforeAll(() => {
  TMP = mkdtempSync(join(tmpdir(), 'rdc-push-diff-'))
})
afterAll(() => rmSync(TMP, {recursive: true, force: true}))

function gnuDiffBody(a: string, b: string): string {
  writeFileSync(`${TMP}/a`, a)
  writeFileSync(`${TMP}/b`, b)
  try {
    execFileSync('diff', ['-u', `${TMP}/a`, `${TMP}/b`])
    return ''
  } catch (err) {
    return (err as {stdout: Buffer}).stdout.toString().split('\n').slice(2).join('\n')
  }
}

describe('unifiedDiff', () => {
  it('shows a new file against /dev/null and nothing for equal texts', () => {
    expect(unifiedDiff('/etc/x', null, 'a\nb\n')).toBe('--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n')
    expect(unifiedDiff('/etc/x', 'same\n', 'same\n')).toBe('')
  })

  it('produces the same hunks as GNU diff -u (random line edits)', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'entryPoints:', '  web:', '  tcp-25:'), {maxLength: 40})
    fc.assert(
      fc.property(lines, lines, (x, y) => {
        const a = x.map((l) => `${l}\n`).join('')
        const b = y.map((l) => `${l}\n`).join('')
        const mine = unifiedDiff('/f', a, b)
        const body = mine.split('\n').slice(2).join('\n')
        const ref = gnuDiffBody(a, b)
        // Both pick one of the equally short edit scripts; they must agree on what changed and where.
        expect(body.split('\n').filter((l) => l.startsWith('-') || l.startsWith('+')).length).toBe(
          ref.split('\n').filter((l) => l.startsWith('-') || l.startsWith('+')).length,
        )
        expect(mine === '').toBe(ref === '')
      }),
      {numRuns: 60},
    )
  })
})

describe('maskEnvContent', () => {
  it('masks every value, keeps comments and names', () => {
    expect(maskEnvContent('# secrets\nCF_DNS_API_TOKEN=abc123\nOTHER=x=y\n')).toBe('# secrets\nCF_DNS_API_TOKEN=***\nOTHER=***\n')
  })
})
