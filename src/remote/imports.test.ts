import {readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

// src/remote/ is transport and SSH only: what runs remote work must not know who asks for it. A module here that
// imported push, repo, diagnose, dns or a command would tie the layers back together (and load them on connect).
const FORBIDDEN = /^\.\.\/(infra|deploy|diagnose|dns|commands)(\/|$)/
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm

// This file's own examples below would match.
const SELF = 'imports.test.ts'

function importsOf(text: string): string[] {
  return [...text.matchAll(SPECIFIER)].map((m) => m[1]!)
}

describe('src/remote imports', () => {
  it('finds every import form it must check', () => {
    const text = "import {a} from '../infra/x.js'\nexport {b} from '../deploy/y.js'\nconst c = await import('../dns/z.js')\nimport '../commands/w.js'\n"
    expect(importsOf(text).filter((s) => FORBIDDEN.test(s))).toHaveLength(4)
  })

  it('imports nothing from infra, deploy, diagnose, dns or commands', () => {
    const dir = new URL('.', import.meta.url)
    const offending = readdirSync(dir)
      .filter((name) => name.endsWith('.ts') && name !== SELF)
      .flatMap((name) => importsOf(readFileSync(new URL(name, dir), 'utf8')).filter((s) => FORBIDDEN.test(s)).map((s) => `${name}: ${s}`))
    expect(offending).toEqual([])
  })
})
