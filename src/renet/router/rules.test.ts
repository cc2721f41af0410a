import {describe, expect, it} from 'vitest'

import {RuleSyntaxError, ruleHosts} from './rules.js'

function hosts(rule: string): string[] | 'all' {
  const set = ruleHosts(rule)
  return set.all ? 'all' : [...set.hosts].sort()
}

describe('hostnames a rule can match', () => {
  it('confines rules to their Host and HostSNI names', () => {
    expect(hosts('Host(`App.Example.com`)')).toEqual(['app.example.com'])
    expect(hosts('Host(`a.example.com`) && PathPrefix(`/api`)')).toEqual(['a.example.com'])
    expect(hosts('Host(`a.example.com`) || Host(`b.example.com`)')).toEqual(['a.example.com', 'b.example.com'])
    expect(hosts('(Host(`a.example.com`) || Host(`b.example.com`)) && Method(`GET`)')).toEqual(['a.example.com', 'b.example.com'])
    expect(hosts('Host("a.example.com", "b.example.com")')).toEqual(['a.example.com', 'b.example.com'])
    expect(hosts('HostSNI(`*`)')).toEqual(['*'])
  })

  it('reports rules that can match any hostname', () => {
    expect(hosts('PathPrefix(`/`)')).toBe('all')
    expect(hosts('Host(`a.example.com`) || PathPrefix(`/`)')).toBe('all')
    expect(hosts('!Host(`a.example.com`)')).toBe('all')
    expect(hosts('HostRegexp(`.+`)')).toBe('all')
  })

  it('refuses what it cannot read', () => {
    for (const bad of ['Host(`a`', 'Host(`a`) &&', 'Host()', 'Host(`a`) Host(`b`)', 'Host(`a`) ; x', '`a`']) {
      expect(() => ruleHosts(bad)).toThrow(RuleSyntaxError)
    }
  })
})
