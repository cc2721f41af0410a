/**
 * Which hostnames a Traefik rule can match. Isolation needs it: a repository may only route hostnames nobody
 * else holds, so a rule must be confined to named hosts. `Host(a) && Path(/x)` is confined to {a};
 * `Host(a) || PathPrefix(/)` is not (it matches every hostname), nor is `HostRegexp(...)` or `!Host(a)`.
 */

export type HostSet = {all: true} | {all: false; hosts: Set<string>}

const ALL: HostSet = {all: true}

type Token = {t: 'id'; v: string} | {t: 'str'; v: string} | {t: 'op'; v: string}

export class RuleSyntaxError extends Error {}

function tokenize(rule: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < rule.length) {
    const c = rule[i]
    if (/\s/.test(c)) {
      i++
    } else if (c === '`' || c === '"') {
      const end = rule.indexOf(c, i + 1)
      if (end < 0) throw new RuleSyntaxError(`unterminated string in rule`)
      out.push({t: 'str', v: rule.slice(i + 1, end)})
      i = end + 1
    } else if (rule.startsWith('&&', i) || rule.startsWith('||', i)) {
      out.push({t: 'op', v: rule.slice(i, i + 2)})
      i += 2
    } else if ('()!,'.includes(c)) {
      out.push({t: 'op', v: c})
      i++
    } else if (/[A-Za-z]/.test(c)) {
      const m = /^[A-Za-z][A-Za-z0-9]*/.exec(rule.slice(i))!
      out.push({t: 'id', v: m[0]})
      i += m[0].length
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

/** The hostnames a rule can match (lower case); `HostSNI(\`*\`)` yields '*'. Throws RuleSyntaxError. */
export function ruleHosts(rule: string): HostSet {
  const tokens = tokenize(rule)
  let pos = 0
  const peek = () => tokens[pos]
  const expectOp = (v: string) => {
    const t = tokens[pos++]
    if (!t || t.t !== 'op' || t.v !== v) throw new RuleSyntaxError(`expected '${v}' in rule`)
  }

  const or = (): HostSet => {
    let left = and()
    while (peek()?.t === 'op' && peek()!.v === '||') {
      pos++
      left = union(left, and())
    }

    return left
  }

  const and = (): HostSet => {
    let left = unary()
    while (peek()?.t === 'op' && peek()!.v === '&&') {
      pos++
      left = intersect(left, unary())
    }

    return left
  }

  const unary = (): HostSet => {
    const t = peek()
    if (t?.t === 'op' && t.v === '!') {
      pos++
      unary()
      return ALL
    }

    if (t?.t === 'op' && t.v === '(') {
      pos++
      const inner = or()
      expectOp(')')
      return inner
    }

    if (t?.t === 'id') {
      pos++
      expectOp('(')
      const args: string[] = []
      while (peek()?.t === 'str') {
        args.push((tokens[pos++] as {v: string}).v)
        if (peek()?.t === 'op' && peek()!.v === ',') pos++
      }

      expectOp(')')
      if (args.length === 0) throw new RuleSyntaxError(`${t.v}() needs an argument`)
      if (t.v === 'Host' || t.v === 'HostSNI') return {all: false, hosts: new Set(args.map((a) => a.toLowerCase()))}
      return ALL
    }

    throw new RuleSyntaxError('rule ends early or has a stray operator')
  }

  const result = or()
  if (pos !== tokens.length) throw new RuleSyntaxError('unexpected text after the end of the rule')
  return result
}
