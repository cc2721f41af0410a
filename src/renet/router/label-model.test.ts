import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {TRAEFIK_VERSION} from '../../infra/traefik-version.js'
import {LABEL_FILTERS, LABEL_SOURCE} from './label-model.js'
import {decodeTraefikLabels} from './labels.js'

const VALUES: Record<string, string> = {
  string: 'x',
  duration: '10s',
  integer: '7',
  number: '1.5',
  boolean: 'true',
  'list:string': 'a, b',
  'list:duration': '1s, 2s',
  'list:integer': '1, 2',
  'list:number': '1.5, 2',
  'list:boolean': 'true, false',
  raw: 'x',
  allowEmpty: 'true',
}

const EXPECTED: Record<string, unknown> = {
  string: 'x',
  duration: '10s',
  integer: 7,
  number: 1.5,
  boolean: true,
  'list:string': ['a', 'b'],
  'list:duration': ['1s', '2s'],
  'list:integer': [1, 2],
  'list:number': [1.5, 2],
  'list:boolean': [true, false],
  raw: 'x',
  allowEmpty: {},
}

/** The json path a decoded value sits at, walked case-insensitively (the decoder emits json names). */
function lookup(decoded: unknown, path: string[]): unknown {
  let node: any = decoded
  for (const part of path) {
    if (Array.isArray(node)) node = node[Number(part.slice(1, -1))] ?? node[0]
    if (node === null || typeof node !== 'object') return undefined
    const key = Object.keys(node).find((k) => k.toLowerCase() === part.toLowerCase())
    if (key === undefined) return undefined
    node = node[key]
  }

  return node
}

describe('label model generated from Traefik', () => {
  it('was generated for the pinned Traefik version (run `node scripts/traefik-labels.mjs` after changing TRAEFIK_VERSION)', () => {
    expect(LABEL_SOURCE.traefikVersion).toBe(TRAEFIK_VERSION)
    const [major, minor] = TRAEFIK_VERSION.split('.')
    expect(LABEL_SOURCE.source.ref).toMatch(new RegExp(`^v${major}\\.${minor}\\.`))
    expect(LABEL_SOURCE.source.commit).toMatch(/^[0-9a-f]{40}$/)
  })

  it("decodes Traefik's own label filters", () => {
    expect(LABEL_FILTERS).toEqual(['traefik.http', 'traefik.tcp', 'traefik.udp', 'traefik.tls.stores.default'])
  })

  it(`decodes every one of the ${LABEL_SOURCE.paths.length} field paths labels can set`, () => {
    expect(LABEL_SOURCE.paths.length).toBeGreaterThan(200)
    const failures: string[] = []
    for (const [path, kind] of LABEL_SOURCE.paths) {
      const key = path.replace(/<name>/g, 'default')
      const value = VALUES[kind]
      if (value === undefined) {
        failures.push(`${path}: no test value for ${kind}`)
        continue
      }

      try {
        const decoded = decodeTraefikLabels({[key]: value})
        // The decoded tree has the json names; the label path has Go names, which match them letter case aside
        // except for the slice written as one struct (`server` → servers[0]).
        const parts = key.split('.').slice(1).flatMap((p) => (p.endsWith(']') ? [p.slice(0, p.indexOf('[')), p.slice(p.indexOf('['))] : [p]))
        const jsonParts = parts.map((p, i) => (p === 'server' && /loadbalancer/i.test(parts[i - 1] ?? '') ? 'servers' : p))
        const got = lookup(decoded, jsonParts.filter((p) => !p.startsWith('[')))
        const expected = EXPECTED[kind]
        if (JSON.stringify(Array.isArray(got) && !Array.isArray(expected) ? got[0] : got) !== JSON.stringify(expected)) {
          failures.push(`${key}=${value}: got ${JSON.stringify(got)}`)
        }
      } catch (error) {
        failures.push(`${key}=${value}: ${(error as Error).message}`)
      }
    }

    expect(failures).toEqual([])
  })

  // Needs Traefik's source (the generator's input): a git clone named by TRAEFIK_SRC; skipped without one.
  const src = process.env.TRAEFIK_SRC ?? ''
  it.runIf(src !== '' && existsSync(src))('is what the generator makes from that source', () => {
    expect(() => execFileSync('node', ['scripts/traefik-labels.mjs', '--check', '--src', src, '--ref', LABEL_SOURCE.source.ref], {stdio: 'pipe'})).not.toThrow()
  })
})
