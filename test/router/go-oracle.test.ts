/**
 * The route server reads rules and URLs the way Traefik does, checked against Go itself: go-oracle/main.go parses
 * generated rules with go/parser + strconv.Unquote (what vulcand/predicate does for Traefik) and URLs with
 * net/url.Parse, and the answers must agree with rules.ts and isolation.ts. Skipped where no Go toolchain is found.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {forwardAuthProblem, parseGoUrl} from '../../src/renet/router/isolation.js'
import {RuleSyntaxError, ruleHosts} from '../../src/renet/router/rules.js'

const haveGo = spawnSync('go', ['version'], {encoding: 'utf8'}).status === 0
const GO_ENV = {...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', CGO_ENABLED: '0'}

let dir: string
let oracle: string

beforeAll(() => {
  if (!haveGo) return
  dir = mkdtempSync(join(tmpdir(), 'rdc-go-oracle-'))
  oracle = join(dir, 'oracle')
  const r = spawnSync('go', ['build', '-o', oracle, '.'], {cwd: new URL('go-oracle', import.meta.url).pathname, env: GO_ENV, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`go build: ${r.stderr}`)
}, 120_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, {recursive: true, force: true})
})

interface GoAnswer {
  ok: boolean
  calls?: string[]
  args?: string[]
  scheme?: string
  host?: string
  hostname?: string
  port?: string
  user?: boolean
  opaque?: boolean
}

function ask(kind: 'rule' | 'url', texts: string[]): GoAnswer[] {
  const r = spawnSync(oracle, {input: texts.map((text) => JSON.stringify({kind, text})).join('\n') + '\n', maxBuffer: 1 << 28, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`oracle: ${r.stderr}`)
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as GoAnswer)
}

/** Errors Traefik raises after Go parsed the rule (matcher checks), which rules.ts raises too. */
const MATCHER_ERROR = /no args|empty args|non-ASCII|does not start with|unsupported function|number of parameters|not a valid hostname/

const piece = fc.oneof(
  fc.constantFrom(
    'Host', 'host', 'HOST', 'hOST', 'PathPrefix', '(', ')', '&&', '||', '!', '!=', ',', ' ', '\t', '\n', '\r', '\v', '\f', '\u00A0', ';', '.', '==', '1', "'a'",
    '/* c */', '/*\n*/', '// x\n', '`a.b`', '"a.b"', '"\\x2e"', '"\\u0041"', '"\\U00000041"', '"\\101"', '"\\q"', '"\\\'"', '`a\rb`', '"a\nb"', '"\\"', '"\\\\"',
    '"\\x"', '"\\400"', '"\\ud800"', '"\\xc3\\xa9"', '"\\u00e9"', '`/p`', '"/p"', '\u0000', '\uFEFF', 'x.Host', '`é`',
  ),
  fc.string({maxLength: 4}).map((s) => '`' + s.replaceAll('`', '') + '`'),
  fc.string({maxLength: 4}).map((s) => '"' + s + '"'),
)
const structured = fc
  .tuple(fc.constantFrom('Host', 'host', 'HOST'), piece, fc.constantFrom('', ' && PathPrefix(`/x`)', '\n', ' ||\nHost(`b`)', ')\n', ' || Host("c\\x2ed")'), fc.constantFrom('', ' ', '\n', '/**/'))
  .map(([f, a, tail, lead]) => `${lead}${f}(${a})${tail}`)
const rules = fc.oneof(fc.array(piece, {maxLength: 12}).map((p) => p.join('')), structured)

describe.skipIf(!haveGo)('rules as Go reads them for Traefik', () => {
  it('accepts exactly what go/parser accepts, and unquotes Host() arguments to the same bytes', () => {
    const texts = fc.sample(rules, {numRuns: 30_000, seed: 11})
    const answers = ask('rule', texts)
    let agreed = 0
    for (const [i, rule] of texts.entries()) {
      const go = answers[i]
      let mine: ReturnType<typeof ruleHosts> | undefined
      let error: Error | undefined
      try {
        mine = ruleHosts(rule)
      } catch (error_) {
        if (!(error_ instanceof RuleSyntaxError)) throw error_
        error = error_
      }

      if (error !== undefined) {
        // Go may parse what Traefik's matchers then refuse; anything else Go takes, we must take.
        if (go.ok) expect(error.message, JSON.stringify(rule)).toMatch(MATCHER_ERROR)
        continue
      }

      expect(go.ok, `Go refuses ${JSON.stringify(rule)}`).toBe(true)
      if (!mine!.all && !rule.includes('!')) {
        const goHosts = go.calls!.flatMap((c, k) => (/^(?:Host|host|HOST)$/.test(c) ? [Buffer.from(go.args![k], 'base64')] : []))
        const myHosts = mine!.hosts.map((h) => h.value)
        expect(myHosts.length, JSON.stringify(rule)).toBe(goHosts.length)
        for (const [k, v] of myHosts.entries()) {
          if (/^[\u0000-\u007F]*$/.test(v)) expect(goHosts[k].toString('latin1'), JSON.stringify(rule)).toBe(v)
          else expect(goHosts[k].some((b) => b >= 0x80), JSON.stringify(rule)).toBe(true)
        }
      }

      agreed++
    }

    expect(agreed).toBeGreaterThan(1000)
  })
})

const urlPiece = fc.constantFrom(
  'http', 'https', 'HTTP', 'ftp', ':', '//', '/', '@', 'x@', 'a:b@', '127.0.11.2', '127.0.11.66', '127.0.0.1', '[', ']', '[::1]', '[::ffff:127.0.11.2]', '::1', ':80',
  ':7111', ':8o', '?', '#', '?@', '#@', '\\', '%25', '%41', 'localhost', 'auth.example.org', '.', '0', '127.1', ' ', '\t', 'é',
)
const urls = fc.oneof(
  fc.array(urlPiece, {maxLength: 10}).map((p) => p.join('')),
  fc.tuple(fc.constantFrom('http://', 'https://', 'HTTP://'), fc.array(urlPiece, {maxLength: 7})).map(([s, p]) => s + p.join('')),
)

describe.skipIf(!haveGo)('URLs as Go net/url splits them', () => {
  it('every URL parseGoUrl reads, Go reads to the same host and port; every forwardAuth address allowed is one Go reads that way', () => {
    const texts = fc.sample(urls, {numRuns: 30_000, seed: 11})
    const answers = ask('url', texts)
    let compared = 0
    for (const [i, text] of texts.entries()) {
      const mine = parseGoUrl(text)
      const go = answers[i]
      const allowed = forwardAuthProblem(text, 2816, {baseDomain: 'example.com'}) === null
      if (allowed) expect(mine, text).not.toBeNull()
      if (mine === null) continue
      // Go unescapes %XX in a host and refuses odd host characters; forwardAuth refuses those hosts anyway.
      if (!allowed && (!go.ok || go.hostname !== mine.hostname)) continue
      expect(go.ok && !go.opaque, text).toBe(true)
      expect([go.scheme, go.hostname, go.port ?? '', go.user ?? false], text).toEqual([mine.scheme, mine.hostname, mine.port, mine.userinfo !== null])
      compared++
    }

    expect(compared).toBeGreaterThan(1000)
  })
})
