/**
 * Which hostnames a Traefik rule can match, read the way Traefik 3 reads it, so that isolation checks see what
 * Traefik will route and not a more literal reading of the text.
 *
 * Traefik hands a rule to vulcand/predicate, which parses it as a Go expression (go/parser.ParseExpr): strings are
 * Go literals (`raw` strings lose their carriage returns, "interpreted" strings decode \x2e, \u002e, \056, …),
 * white space is Go's (space, tab, CR, LF), comments are allowed, a newline after `)` ends the expression, and a
 * function name matches as written, lower case, upper case or capitalised (`Host`, `host`, `HOST`). Anything else
 * Go or predicate cannot take (numbers, identifiers as arguments, other operators, unknown functions) is an error
 * there, so it is an error here: the router would not exist in Traefik. Each matcher takes the arguments of the
 * router's `ruleSyntax` (v3: `Host` exactly one; v2: `Host`/`HostHeader` any number).
 *
 * What counts as a hostname someone may hold is policy, not parsing: see isolation.ts.
 */

/** One Host()/HostSNI() argument. */
export interface HostArg {
  matcher: 'Host' | 'HostSNI'
  /** The argument as Traefik's matcher receives it (Go-unquoted). Bytes from \x / octal escapes are U+0000–U+00FF. */
  value: string
  /** The literal as written in the rule, quotes included. */
  literal: string
}

/** `all`: the rule can match requests for any hostname. Else the Host/HostSNI arguments that confine it. */
export type HostSet = {all: true} | {all: false; hosts: HostArg[]}

export class RuleSyntaxError extends Error {}

type Token = {t: 'id'; v: string} | {t: 'str'; v: string; raw: string} | {t: 'op'; v: string} | {t: 'semi'}

/** Go's white space; a newline is handled apart (it may end the expression). */
function isGoSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r'
}

function isIdentStart(c: string): boolean {
  return /^[\p{L}_]$/u.test(c)
}

function isIdentPart(c: string): boolean {
  return /^[\p{L}\p{Nd}_]$/u.test(c)
}

function hexValue(s: string): number | null {
  return /^[0-9a-fA-F]+$/.test(s) ? Number.parseInt(s, 16) : null
}

/** A character Go's scanner refuses anywhere in source: NUL, a byte order mark, a lone surrogate (not UTF-8). */
function illegalSourceChar(code: number): string | null {
  if (code === 0) return 'NUL'
  if (code === 0xfe_ff) return 'a byte order mark'
  if (code >= 0xd8_00 && code <= 0xdf_ff) return 'invalid UTF-8'
  return null
}

/** Reads one Go escape after a backslash inside "…"; returns the text it stands for and where it ends. */
function goEscape(rule: string, i: number): {text: string; end: number} {
  const c = rule[i]
  const simple: Record<string, string> = {a: '\u0007', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"'}
  if (c !== undefined && c in simple) return {text: simple[c], end: i + 1}
  if (c !== undefined && c >= '0' && c <= '7') {
    const digits = rule.slice(i, i + 3)
    if (!/^[0-7]{3}$/.test(digits)) throw new RuleSyntaxError('illegal character in octal escape sequence')
    const value = Number.parseInt(digits, 8)
    if (value > 255) throw new RuleSyntaxError('octal escape value > 255')
    return {text: String.fromCharCode(value), end: i + 3}
  }

  const sizes: Record<string, number> = {x: 2, u: 4, U: 8}
  if (c !== undefined && c in sizes) {
    const hex = rule.slice(i + 1, i + 1 + sizes[c])
    const value = hex.length === sizes[c] ? hexValue(hex) : null
    if (value === null) throw new RuleSyntaxError('illegal character in escape sequence')
    if (c === 'x') return {text: String.fromCharCode(value), end: i + 3}
    if (value > 0x10_ff_ff || (value >= 0xd8_00 && value <= 0xdf_ff)) throw new RuleSyntaxError('escape sequence is invalid Unicode code point')
    return {text: String.fromCodePoint(value), end: i + 1 + sizes[c]}
  }

  throw new RuleSyntaxError('unknown escape sequence')
}

function tokenize(rule: string): Token[] {
  const out: Token[] = []
  // Go inserts a semicolon at a newline (or the end) after an identifier, a literal or ')'.
  let semiNext = false
  const newline = (): void => {
    if (semiNext) out.push({t: 'semi'})
    semiNext = false
  }

  let i = 0
  while (i < rule.length) {
    const c = rule[i]
    const bad = illegalSourceChar(rule.charCodeAt(i))
    if (bad !== null) throw new RuleSyntaxError(`illegal character ${bad} in rule`)
    if (isGoSpace(c)) {
      i++
    } else if (c === '\n') {
      newline()
      i++
    } else if (rule.startsWith('//', i)) {
      const end = rule.indexOf('\n', i)
      i = end < 0 ? rule.length : end
    } else if (rule.startsWith('/*', i)) {
      const end = rule.indexOf('*/', i + 2)
      if (end < 0) throw new RuleSyntaxError('comment not terminated')
      if (rule.slice(i, end).includes('\n')) newline()
      i = end + 2
    } else if (c === '`') {
      const end = rule.indexOf('`', i + 1)
      if (end < 0) throw new RuleSyntaxError('raw string literal not terminated')
      const raw = rule.slice(i, end + 1)
      for (let k = 1; k < raw.length - 1; k++) {
        const b = illegalSourceChar(raw.charCodeAt(k))
        if (b !== null) throw new RuleSyntaxError(`illegal character ${b} in rule`)
      }

      // Go drops carriage returns from raw strings (scanner and strconv.Unquote alike).
      out.push({t: 'str', v: raw.slice(1, -1).replaceAll('\r', ''), raw})
      semiNext = true
      i = end + 1
    } else if (c === '"') {
      let value = ''
      let k = i + 1
      for (;;) {
        const ch = rule[k]
        if (ch === undefined || ch === '\n') throw new RuleSyntaxError('string literal not terminated')
        const b = illegalSourceChar(rule.charCodeAt(k))
        if (b !== null) throw new RuleSyntaxError(`illegal character ${b} in rule`)
        if (ch === '"') break
        if (ch === '\\') {
          const e = goEscape(rule, k + 1)
          value += e.text
          k = e.end
        } else {
          value += ch
          k++
        }
      }

      out.push({t: 'str', v: value, raw: rule.slice(i, k + 1)})
      semiNext = true
      i = k + 1
    } else if (rule.startsWith('&&', i) || rule.startsWith('||', i)) {
      out.push({t: 'op', v: rule.slice(i, i + 2)})
      semiNext = false
      i += 2
    } else if (c === '!' && rule[i + 1] !== '=') {
      out.push({t: 'op', v: c})
      semiNext = false
      i++
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({t: 'op', v: c})
      semiNext = c === ')'
      i++
    } else if (isIdentStart(c)) {
      let end = i + 1
      while (end < rule.length && isIdentPart(rule[end])) end++
      out.push({t: 'id', v: rule.slice(i, end)})
      semiNext = true
      i = end
    } else {
      throw new RuleSyntaxError(`unexpected '${c}' in rule (Traefik takes only matchers, strings, &&, ||, ! and parentheses)`)
    }
  }

  newline()
  return out
}

type Node = {k: 'call'; name: string; args: Array<{v: string; raw: string}>} | {k: 'not'; x: Node} | {k: 'and' | 'or'; l: Node; r: Node}

class Parser {
  private pos = 0

  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.or()
    // ParseExpr takes the semicolon a final newline gave, and nothing after it.
    if (this.tokens[this.pos]?.t === 'semi') this.pos++
    if (this.pos !== this.tokens.length) throw new RuleSyntaxError('unexpected text after the end of the rule (a newline after a matcher ends the rule)')
    return node
  }

  private isOp(v: string): boolean {
    const t = this.tokens[this.pos]
    return t !== undefined && t.t === 'op' && t.v === v
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new RuleSyntaxError(`expected '${v}' in rule`)
    this.pos++
  }

  private or(): Node {
    let left = this.and()
    while (this.isOp('||')) {
      this.pos++
      left = {k: 'or', l: left, r: this.and()}
    }

    return left
  }

  private and(): Node {
    let left = this.unary()
    while (this.isOp('&&')) {
      this.pos++
      left = {k: 'and', l: left, r: this.unary()}
    }

    return left
  }

  private unary(): Node {
    if (this.isOp('!')) {
      this.pos++
      return {k: 'not', x: this.unary()}
    }

    if (this.isOp('(')) {
      this.pos++
      const inner = this.or()
      this.expectOp(')')
      return inner
    }

    const t = this.tokens[this.pos]
    if (t?.t !== 'id') throw new RuleSyntaxError('rule ends early or has a stray operator or string')
    this.pos++
    this.expectOp('(')
    const args: Array<{v: string; raw: string}> = []
    while (!this.isOp(')')) {
      const a = this.tokens[this.pos]
      if (a?.t !== 'str') throw new RuleSyntaxError(`${t.v}() takes only string arguments`)
      args.push({v: a.v, raw: a.raw})
      this.pos++
      if (this.isOp(',')) this.pos++
      else if (!this.isOp(')')) throw new RuleSyntaxError(`expected ',' or ')' after an argument of ${t.v}()`)
    }

    this.pos++
    return {k: 'call', name: t.v, args}
  }
}

/** Parameter counts per matcher (v3's expectNParameters); null: any number (v2). */
type Matchers = Record<string, number[] | null>

const HTTP_V3: Matchers = {
  ClientIP: [1],
  Method: [1],
  Host: [1],
  HostRegexp: [1],
  Path: [1],
  PathRegexp: [1],
  PathPrefix: [1],
  Header: [2],
  HeaderRegexp: [2],
  Query: [1, 2],
  QueryRegexp: [1, 2],
}
const HTTP_V2: Matchers = {Host: null, HostHeader: null, HostRegexp: null, ClientIP: null, Path: null, PathPrefix: null, Method: null, Headers: null, HeadersRegexp: null, Query: null}
const TCP_V3: Matchers = {ALPN: [1], ClientIP: [1], HostSNI: [1], HostSNIRegexp: [1]}
const TCP_V2: Matchers = {ALPN: null, ClientIP: null, HostSNI: null, HostSNIRegexp: null}

/** predicate's function table as Traefik fills it: each name as written, lower, upper and capitalised. */
function spellings(m: Matchers): Map<string, string> {
  const out = new Map<string, string>()
  for (const name of Object.keys(m)) {
    const lower = name.toLowerCase()
    for (const s of [name, lower, name.toUpperCase(), lower[0].toUpperCase() + lower.slice(1)]) out.set(s, name)
  }

  return out
}

const TABLES = {
  http: {v3: [HTTP_V3, spellings(HTTP_V3)], v2: [HTTP_V2, spellings(HTTP_V2)]},
  tcp: {v3: [TCP_V3, spellings(TCP_V3)], v2: [TCP_V2, spellings(TCP_V2)]},
} as const

/** HostSNI's own check (pkg/muxer/tcp): `*`, or word characters, dots, dashes, colons; else IDNA (left to policy). */
const HOST_OR_IP = /^[\w.:-]+$/

function checkCall(node: Extract<Node, {k: 'call'}>, table: readonly [Matchers, Map<string, string>]): string {
  const name = table[1].get(node.name)
  if (name === undefined) throw new RuleSyntaxError(`unsupported function: ${node.name}`)
  if (node.args.length === 0) throw new RuleSyntaxError(`no args for matcher ${name}`)
  if (node.args.some((a) => a.v === '')) throw new RuleSyntaxError(`empty args for matcher ${name}`)
  const counts = table[0][name]
  if (counts !== null && !counts.includes(node.args.length)) {
    throw new RuleSyntaxError(`${name}: unexpected number of parameters; got ${node.args.length}, expected one of ${counts.join(', ')}`)
  }

  for (const a of node.args) {
    if ((name === 'Host' || name === 'HostHeader') && /[^\u0000-\u007F]/.test(a.v)) {
      throw new RuleSyntaxError(`invalid value ${a.raw} for Host matcher, non-ASCII characters are not allowed`)
    }

    if (name === 'HostSNI' && a.v !== '*' && /^[\u0000-\u007F]*$/.test(a.v) && !HOST_OR_IP.test(a.v)) {
      throw new RuleSyntaxError(`invalid value for HostSNI matcher, ${a.raw} is not a valid hostname`)
    }

    if ((name === 'Path' || name === 'PathPrefix') && counts !== null && !a.v.startsWith('/')) {
      throw new RuleSyntaxError(`path ${a.raw} does not start with a '/'`)
    }
  }

  return name
}

const ALL: HostSet = {all: true}

/**
 * The hosts a node confines requests to. Negation is pushed inwards as Traefik's parser does (De Morgan): a
 * negated Host matches every other name. `a && b` keeps the hosts of both sides, a superset of what it can match,
 * so that every Host argument in the rule is checked and claimed.
 */
function hostsOf(node: Node, negated: boolean, table: readonly [Matchers, Map<string, string>]): HostSet {
  switch (node.k) {
    case 'call': {
      const name = checkCall(node, table)
      if (negated) return ALL
      if (name === 'Host' || name === 'HostHeader') return {all: false, hosts: node.args.map((a) => ({matcher: 'Host', value: a.v, literal: a.raw}))}
      if (name === 'HostSNI') return {all: false, hosts: node.args.map((a) => ({matcher: 'HostSNI', value: a.v, literal: a.raw}))}
      return ALL
    }

    case 'not': {
      return hostsOf(node.x, !negated, table)
    }

    default: {
      const l = hostsOf(node.l, negated, table)
      const r = hostsOf(node.r, negated, table)
      const union = (node.k === 'or') !== negated
      if (union) return l.all || r.all ? ALL : {all: false, hosts: [...l.hosts, ...r.hosts]}
      if (l.all) return r
      if (r.all) return l
      return {all: false, hosts: [...l.hosts, ...r.hosts]}
    }
  }
}

/**
 * The hostnames a rule can match, with the arguments exactly as Traefik's matchers get them. `ruleSyntax` is the
 * router's (`v2` or else v3, Traefik's default). Throws RuleSyntaxError when Traefik would refuse the rule.
 */
export function ruleHosts(rule: string, protocol: 'http' | 'tcp' = 'http', ruleSyntax?: string): HostSet {
  const table = TABLES[protocol][ruleSyntax === 'v2' ? 'v2' : 'v3']
  return hostsOf(new Parser(tokenize(rule)).parse(), false, table)
}
