import {describe, expect, it} from 'vitest'

import {RuleSyntaxError, ruleHosts} from './rules.js'

function hosts(rule: string, protocol: 'http' | 'tcp' = 'http', syntax?: string): string[] | 'all' {
  const set = ruleHosts(rule, protocol, syntax)
  return set.all ? 'all' : set.hosts.map((h) => h.value).sort()
}

describe('hostnames a rule can match', () => {
  it('confines rules to their Host and HostSNI arguments', () => {
    expect(hosts('Host(`App.Example.com`)')).toEqual(['App.Example.com'])
    expect(hosts('Host(`a.example.com`) && PathPrefix(`/api`)')).toEqual(['a.example.com'])
    expect(hosts('Host(`a.example.com`) || Host(`b.example.com`)')).toEqual(['a.example.com', 'b.example.com'])
    expect(hosts('(Host(`a.example.com`) || Host(`b.example.com`)) && Method(`GET`)')).toEqual(['a.example.com', 'b.example.com'])
    expect(hosts('HostSNI(`*`)', 'tcp')).toEqual(['*'])
    expect(hosts('HostSNI(`db.example.com`) && ALPN(`h2`)', 'tcp')).toEqual(['db.example.com'])
  })

  it('reports rules that can match any hostname', () => {
    expect(hosts('PathPrefix(`/`)')).toBe('all')
    expect(hosts('Host(`a.example.com`) || PathPrefix(`/`)')).toBe('all')
    expect(hosts('!Host(`a.example.com`)')).toBe('all')
    expect(hosts('HostRegexp(`.+`)')).toBe('all')
    expect(hosts('!(Host(`a.example.com`) && Host(`b.example.com`))')).toBe('all')
    expect(hosts('ClientIP(`0.0.0.0/0`)', 'tcp')).toBe('all')
  })

  it('pushes negation inwards as Traefik does (De Morgan)', () => {
    expect(hosts('!!Host(`a.example.com`)')).toEqual(['a.example.com'])
    expect(hosts('!(!Host(`a.example.com`) || !Path(`/x`))')).toEqual(['a.example.com'])
    expect(hosts('!(!Host(`a.example.com`) && PathPrefix(`/x`))')).toBe('all')
  })
})

describe('Go literals and syntax, as vulcand/predicate (go/parser) reads them', () => {
  const cases: Array<[string, string, string[]]> = [
    ['a raw string keeps its text', 'Host(`a.example.com`)', ['a.example.com']],
    ['a raw string loses its carriage returns', 'Host(`vic\rtim.example.com`)', ['victim.example.com']],
    ['a raw string keeps other control characters', 'Host(`a\tb`)', ['a\tb']],
    ['an interpreted string decodes \\x', 'Host("victim\\x2eexample.com")', ['victim.example.com']],
    ['… \\u and \\U', 'Host("\\u0076ictim.example\\U0000002Ecom")', ['victim.example.com']],
    ['… octal', 'Host("victim\\056example.com")', ['victim.example.com']],
    ['… \\\\ and \\"', 'Host("a\\\\b\\"c")', ['a\\b"c']],
    ['… a byte above 0x7f stays non-ASCII', 'HostSNI("\\xff")', ['\u00FF']],
    ['function names in lower, upper and capitalised case', 'host(`a.x`) || HOST(`b.x`) || Host(`c.x`)', ['a.x', 'b.x', 'c.x']],
    ['HostSNI capitalised the Go way', 'Hostsni(`a.x`) || HOSTSNI(`b.x`) || hostsni(`c.x`)', ['a.x', 'b.x', 'c.x']],
    ['Go white space and comments', '\tHost(`a.x`) /* c */ && // d\n Path(`/`)', ['a.x']],
    ['a newline after an operator continues the rule', 'Host(`a.x`) &&\n Path(`/`)\n', ['a.x']],
    ['a trailing comma in the arguments', 'Host(`a.x`,)', ['a.x']],
  ]
  for (const [name, rule, expected] of cases) {
    it(name, () => expect(hosts(rule, /HostSNI|Hostsni|HOSTSNI|hostsni/.test(rule) ? 'tcp' : 'http')).toEqual(expected))
  }

  it('takes v2 matchers and argument lists only with ruleSyntax v2', () => {
    expect(hosts('Host(`a.x`, `b.x`) || HostHeader(`c.x`)', 'http', 'v2')).toEqual(['a.x', 'b.x', 'c.x'])
    expect(() => ruleHosts('Host(`a.x`, `b.x`)')).toThrow(/unexpected number of parameters/)
    expect(() => ruleHosts('HostHeader(`c.x`)')).toThrow(/unsupported function/)
  })

  const refused: Array<[string, string]> = [
    ['unterminated', 'Host(`a`'],
    ['dangling operator', 'Host(`a`) &&'],
    ['no argument', 'Host()'],
    ['an empty argument', 'Host(``)'],
    ['two rules side by side', 'Host(`a`) Host(`b`)'],
    ['a semicolon', 'Host(`a`) ; x'],
    ['a bare string', '`a`'],
    ['a newline after a matcher, then more', 'Host(`a.x`)\n|| Host(`b.x`)'],
    ['a newline inside the argument list', 'Host(\n`a.x`\n)'],
    ['a newline in an interpreted string', 'Host("a\nb")'],
    ['an unknown escape', 'Host("a\\qb")'],
    ["\\' inside double quotes", 'Host("a\\\'b")'],
    ['a short \\x escape', 'Host("a\\x2")'],
    ['an octal escape above 255', 'Host("\\400")'],
    ['a surrogate \\u escape', 'Host("\\ud800")'],
    ['a character literal', "Host('a')"],
    ['a number', 'Host(1)'],
    ['an identifier argument', 'Host(a)'],
    ['arguments without a comma', 'Host("a" "b")'],
    ['a comparison', 'Host(`a`) == Host(`b`)'],
    ['an unknown function', 'Hots(`a`)'],
    ['a function name in odd case', 'hOST(`a`)'],
    ['a selector', 'x.Host(`a`)'],
    ['a NUL', 'Host(`a\u0000`)'],
    ['non-ASCII in Host', 'Host(`bücher.example`)'],
    ['a HostSNI with a space', 'HostSNI(`a b`)'],
    ['a path without a leading slash', 'Host(`a.x`) && Path(`x`)'],
    ['JavaScript white space that Go does not take', 'Host(`a.x`)\u00A0&& Path(`/`)'],
  ]
  for (const [name, rule] of refused) {
    it(`refuses ${name}`, () => expect(() => ruleHosts(rule, rule.includes('HostSNI') ? 'tcp' : 'http')).toThrow(RuleSyntaxError))
  }
})
