/**
 * Which hostnames a Traefik rule can match. Isolation needs it: a repository may only route hostnames nobody
 * else holds, so a rule must be confined to named hosts. `Host(a) && Path(/x)` is confined to {a};
 * `Host(a) || PathPrefix(/)` is not (it matches every hostname), nor is `HostRegexp(...)` or `!Host(a)`.
 */

export type HostSet = {all: true} | {all: false; hosts: Set<string>}

const ALL: HostSet = {all: true}

type Token = {t: 'id'; v: string} | {t: 'str'; v: string} | {t: 'op'; v: string}

export class RuleSyntaxError extends Error {}

/** JavaScript's \s, with the ASCII cases first. */
function isSpace(c: number, ch: string): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c >= 128 && /\s/.test(ch))
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function tokenize(rule: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < rule.length) {
    const code = rule.charCodeAt(i)
    const c = rule[i]
    if (isSpace(code, c)) {
      i++
    } else if (c === '`' || c === '"') {
      const end = rule.indexOf(c, i + 1)
      if (end < 0) throw new RuleSyntaxError(`unterminated string in rule`)
      out.push({t: 'str', v: rule.slice(i + 1, end)})
      i = end + 1
    } else if (rule.startsWith('&&', i) || rule.startsWith('||', i)) {
      out.push({t: 'op', v: rule.slice(i, i + 2)})
      i += 2
    } else if (c === '(' || c === ')' || c === '!' || c === ',') {
      out.push({t: 'op', v: c})
      i++
    } else if (isLetter(code)) {
      let end = i + 1
      while (end < rule.length && (isLetter(rule.charCodeAt(end)) || isDigit(rule.charCodeAt(end)))) end++
      out.push({t: 'id', v: rule.slice(i, end)})
      i = end
    } else {
      throw new RuleSyntaxError(`unexpected '${c}' in rule`)
    }
  }

  return out
}

function union(a: HostSet, b: HostSet): HostSet {
  if (a.all || b.all) return ALL
  return {all: false, hosts: new Set([...a.hosts, ...b.hosts])}
}

function intersect(a: HostSet, b: HostSet): HostSet {
  if (a.all) return b
  if (b.all) return a
  return {all: false, hosts: new Set([...a.hosts].filter((h) => b.hosts.has(h)))}
}

/** Recursive descent over the tokens: `or := and ('||' and)*`, `and := unary ('&&' unary)*`. */
class RuleParser {
  private pos = 0

  constructor(private readonly tokens: Token[]) {}

  parse(): HostSet {
    const result = this.or()
    if (this.pos !== this.tokens.length) throw new RuleSyntaxError('unexpected text after the end of the rule')
    return result
  }

  private isOp(v: string): boolean {
    const t = this.tokens[this.pos]
    return t !== undefined && t.t === 'op' && t.v === v
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new RuleSyntaxError(`expected '${v}' in rule`)
    this.pos++
  }

  private or(): HostSet {
    let left = this.and()
    while (this.isOp('||')) {
      this.pos++
      left = union(left, this.and())
    }

    return left
  }

  private and(): HostSet {
    let left = this.unary()
    while (this.isOp('&&')) {
      this.pos++
      left = intersect(left, this.unary())
    }

    return left
  }

  private unary(): HostSet {
    const t = this.tokens[this.pos]
    if (this.isOp('!')) {
      this.pos++
      this.unary()
      return ALL
    }

    if (this.isOp('(')) {
      this.pos++
      const inner = this.or()
      this.expectOp(')')
      return inner
    }

    if (t?.t === 'id') {
      this.pos++
      this.expectOp('(')
      const args: string[] = []
      while (this.tokens[this.pos]?.t === 'str') {
        args.push(this.tokens[this.pos++].v)
        if (this.isOp(',')) this.pos++
      }

      this.expectOp(')')
      if (args.length === 0) throw new RuleSyntaxError(`${t.v}() needs an argument`)
      if (t.v === 'Host' || t.v === 'HostSNI') return {all: false, hosts: new Set(args.map((a) => a.toLowerCase()))}
      return ALL
    }

    throw new RuleSyntaxError('rule ends early or has a stray operator')
  }
}

/** The hostnames a rule can match (lower case); `HostSNI(\`*\`)` yields '*'. Throws RuleSyntaxError. */
export function ruleHosts(rule: string): HostSet {
  return new RuleParser(tokenize(rule)).parse()
}
