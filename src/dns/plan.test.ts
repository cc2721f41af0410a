import {describe, expect, it} from 'vitest'

import {ConflictError} from '../errors.js'
import {claimsFor, type MachineDns} from './claims.js'
import type {CfDnsRecord} from './cloudflare/client.js'
import {canonicalAddress, coveredByWildcard, isRecordName, markerOwner, ownerMarker, zoneOf} from './names.js'
import {countActions, drifted, planRecords, type PlanInput} from './plan.js'

const M1: MachineDns = {machine: 'm1', publicIPv4: '203.0.113.10', publicIPv6: '2001:db8::10', baseDomain: 'example.com', hosts: []}
const MARK1 = ownerMarker('prod', 'm1')
const MARK2 = ownerMarker('prod', 'm2')

let nextId = 0
function rec(name: string, type: string, content: string, extra: Partial<CfDnsRecord> = {}): CfDnsRecord {
  return {id: `r${++nextId}`, name, type, content, ttl: 1, proxied: false, comment: null, ...extra}
}

function plan(machines: MachineDns[], records: CfDnsRecord[], extra: Partial<PlanInput> = {}) {
  const {claims, covered} = claimsFor(machines)
  return planRecords({context: 'prod', claims, covered, machines: machines.filter((m) => m.planned !== false).map((m) => m.machine), zones: [{id: 'z1', name: 'example.com', records}], ...extra})
}

const brief = (rs: ReturnType<typeof plan>) => rs.map((r) => `${r.action} ${r.type} ${r.name}${r.content ? ` ${r.content}` : ''}`)

describe('names', () => {
  it('wildcard coverage is one label below the base domain', () => {
    expect(coveredByWildcard('app.example.com', 'example.com')).toBe(true)
    expect(coveredByWildcard('a.b.example.com', 'example.com')).toBe(false)
    expect(coveredByWildcard('example.com', 'example.com')).toBe(false)
    expect(coveredByWildcard('app.example.org', 'example.com')).toBe(false)
    expect(coveredByWildcard('app.example.com', undefined)).toBe(false)
  })

  it('zones match by the longest suffix; record names exclude addresses and single labels', () => {
    expect(zoneOf('a.b.example.com', ['example.com', 'b.example.com', 'ample.com'])).toBe('b.example.com')
    expect(zoneOf('notexample.com', ['example.com'])).toBeUndefined()
    expect(isRecordName('App.Example.COM.')).toBe(true)
    expect(isRecordName('localhost')).toBe(false)
    expect(isRecordName('203.0.113.1')).toBe(false)
    expect(isRecordName('bad_-.example.com')).toBe(false)
  })

  it('markers name context and machine within Cloudflare’s 100 characters; IPv6 compares canonically', () => {
    expect(ownerMarker('prod', 'm1')).toBe('managed by rdc: prod/m1')
    expect(markerOwner('managed by rdc: prod/m1')).toBe('prod/m1')
    expect(markerOwner('made by hand')).toBeUndefined()
    const long = ownerMarker('c'.repeat(63), 'm'.repeat(63))
    expect(long.length).toBeLessThanOrEqual(100)
    expect(long).toMatch(/^managed by rdc: #[0-9a-f]{24}$/)
    expect(canonicalAddress('2001:DB8:0:0::10')).toBe('2001:db8::10')
  })
})

describe('claims', () => {
  it('the wildcard for automatic routes, route names it does not cover with records of their own', () => {
    const {claims, covered} = claimsFor([{...M1, hosts: [{name: 'app.example.com', routers: ['app']}, {name: 'api.v2.example.com', routers: ['api']}, {name: 'shop.example.org', routers: ['shop', 'shop-tls']}, {name: 'localhost', routers: ['x']}]}])
    expect(claims.map((c) => [c.name, c.why, c.records.map((r) => r.type).join('+')])).toEqual([
      ['*.example.com', 'wildcard', 'A+AAAA'],
      ['api.v2.example.com', 'route', 'A+AAAA'],
      ['shop.example.org', 'route', 'A+AAAA'],
    ])
    expect(covered).toEqual([expect.objectContaining({name: 'app.example.com', wildcard: '*.example.com', routers: ['app']})])
  })

  it('no base domain: no wildcard; an IPv4-only machine wants only A', () => {
    const {claims} = claimsFor([{machine: 'm1', publicIPv4: '203.0.113.10', hosts: [{name: 'app.example.com', routers: ['app']}]}])
    expect(claims).toEqual([{name: 'app.example.com', machine: 'm1', why: 'route', routers: ['app'], records: [{type: 'A', content: '203.0.113.10'}]}])
  })

  it('two machines with one base domain, or one name on both, is an error naming both', () => {
    const m2: MachineDns = {machine: 'm2', publicIPv4: '203.0.113.20', baseDomain: 'example.com', hosts: [], planned: false}
    expect(() => claimsFor([M1, m2])).toThrow(ConflictError)
    expect(() => claimsFor([M1, m2])).toThrow('*.example.com is claimed by two machines: m1 (its base domain example.com) and m2 (its base domain example.com).')
    const both = (): unknown => claimsFor([{...M1, hosts: [{name: 'app.example.com', routers: ['app']}]}, {machine: 'm2', publicIPv4: '203.0.113.20', hosts: [{name: 'app.example.com', routers: ['web']}]}])
    expect(both).toThrow('app.example.com is claimed by two machines: m1 (its route app) and m2 (its route web).')
  })

  it('another machine’s name under this machine’s wildcard is no clash: it gets a record of its own', () => {
    const {claims} = claimsFor([M1, {machine: 'm2', publicIPv4: '203.0.113.20', hosts: [{name: 'shop.example.com', routers: ['shop']}]}])
    expect(claims.map((c) => `${c.machine} ${c.name}`)).toEqual(['m1 *.example.com', 'm2 shop.example.com'])
  })
})

describe('planRecords', () => {
  it('an empty zone: everything to create; a second look after apply: everything kept', () => {
    const first = plan([{...M1, hosts: [{name: 'deep.api.example.com', routers: ['api']}]}], [])
    expect(brief(first)).toEqual([
      'create A *.example.com 203.0.113.10',
      'create AAAA *.example.com 2001:db8::10',
      'create A deep.api.example.com 203.0.113.10',
      'create AAAA deep.api.example.com 2001:db8::10',
    ])
    const made = first.map((r) => rec(r.name, r.type, r.content!, {comment: MARK1}))
    const second = plan([{...M1, hosts: [{name: 'deep.api.example.com', routers: ['api']}]}], made)
    expect(second.every((r) => r.action === 'keep')).toBe(true)
    expect(drifted(countActions(second))).toBe(false)
  })

  it('ours pointing elsewhere, proxied, or doubled: changed back, the extra removed', () => {
    const rs = plan([M1], [
      rec('*.example.com', 'A', '198.51.100.1', {comment: MARK1}),
      rec('*.example.com', 'A', '203.0.113.10', {comment: MARK1}),
      rec('*.example.com', 'AAAA', '2001:DB8:0::10', {comment: MARK1, proxied: true}),
    ])
    expect(brief(rs)).toEqual(['delete A *.example.com', 'update A *.example.com 203.0.113.10', 'update AAAA *.example.com 2001:db8::10'])
    expect(rs[2]!.reason).toMatch(/^was switched to proxied: back to DNS only/)
  })

  it('a foreign record holds the name: a conflict, left alone; --adopt takes it over and removes the rest', () => {
    const foreign = [rec('*.example.com', 'A', '192.0.2.1'), rec('*.example.com', 'A', '192.0.2.2')]
    const rs = plan([M1], foreign)
    expect(brief(rs)).toEqual(['create AAAA *.example.com 2001:db8::10', 'conflict A *.example.com', 'conflict A *.example.com'])
    expect(rs[1]).toMatchObject({heldBy: 'foreign', reason: 'held by a record rdc did not make (A 192.0.2.1); --adopt takes it over'})
    const adopted = plan([M1], foreign, {adopt: true})
    expect(brief(adopted)).toEqual(['delete A *.example.com', 'update A *.example.com 203.0.113.10', 'create AAAA *.example.com 2001:db8::10'])
  })

  it('another machine’s rdc record is held by it, and is never stale for this machine', () => {
    const rs = plan([{...M1, hosts: [{name: 'x.example.org', routers: ['x']}]}], [rec('*.example.com', 'A', '203.0.113.20', {comment: MARK2}), rec('old.example.com', 'A', '203.0.113.20', {comment: MARK2})], {prune: true})
    expect(rs.find((r) => r.action === 'conflict')).toMatchObject({heldBy: 'prod/m2', reason: "held by rdc's record for prod/m2 (A 203.0.113.20); --adopt takes it over"})
    expect(rs.some((r) => r.name === 'old.example.com')).toBe(false)
    expect(rs.filter((r) => r.action === 'unmanaged').map((r) => r.name)).toEqual(['x.example.org', 'x.example.org'])
  })

  it('a CNAME at the name: a conflict; --adopt removes it before A/AAAA are created', () => {
    const hosts = [{name: 'mail.deep.example.com', routers: ['mail']}]
    const cname = rec('mail.deep.example.com', 'CNAME', 'mail.provider.test')
    expect(brief(plan([{...M1, hosts}], [cname])).filter((l) => l.includes('mail.'))).toEqual(['conflict CNAME mail.deep.example.com'])
    expect(brief(plan([{...M1, hosts}], [cname], {adopt: true})).filter((l) => l.includes('mail.'))).toEqual([
      'delete CNAME mail.deep.example.com',
      'create A mail.deep.example.com 203.0.113.10',
      'create AAAA mail.deep.example.com 2001:db8::10',
    ])
  })

  it('a route name the wildcard would answer, blocked by a record of its own: a conflict; --adopt gives it records', () => {
    const hosts = [{name: 'www.example.com', routers: ['www']}]
    const txt = rec('www.example.com', 'TXT', '"v=spf1 -all"')
    const rs = plan([{...M1, hosts}], [txt])
    expect(rs.find((r) => r.name === 'www.example.com')).toMatchObject({action: 'conflict', type: 'TXT', reason: expect.stringContaining('*.example.com would answer it, but the zone has a record rdc did not make (TXT "v=spf1 -all") at this name')})
    const adopted = plan([{...M1, hosts}], [txt], {adopt: true})
    expect(brief(adopted).filter((l) => l.includes('www.'))).toEqual(['create A www.example.com 203.0.113.10', 'create AAAA www.example.com 2001:db8::10'])
  })

  it('an IPv4-only machine: a foreign AAAA at its name is a conflict; its own old AAAA is stale (prune removes it)', () => {
    const v4 = {...M1, publicIPv6: undefined}
    const rs = plan([v4], [rec('*.example.com', 'AAAA', '2001:db8::99'), rec('*.example.com', 'A', '203.0.113.10', {comment: MARK1})])
    expect(brief(rs)).toEqual(['conflict AAAA *.example.com', 'keep A *.example.com 203.0.113.10'])
    const own = plan([v4], [rec('*.example.com', 'AAAA', '2001:db8::10', {comment: MARK1})])
    expect(brief(own)).toEqual(['create A *.example.com 203.0.113.10', 'stale AAAA *.example.com'])
    expect(brief(plan([v4], [rec('*.example.com', 'AAAA', '2001:db8::10', {comment: MARK1})], {prune: true}))).toEqual(['delete AAAA *.example.com', 'create A *.example.com 203.0.113.10'])
  })

  it('stale records count as drift only when pruning', () => {
    const rs = plan([M1], [rec('gone.deep.example.com', 'A', '203.0.113.10', {comment: MARK1}), rec('*.example.com', 'A', '203.0.113.10', {comment: MARK1}), rec('*.example.com', 'AAAA', '2001:db8::10', {comment: MARK1})])
    expect(countActions(rs)).toMatchObject({stale: 1, keep: 2})
    expect(drifted(countActions(rs))).toBe(false)
    expect(drifted(countActions(plan([M1], [rec('gone.deep.example.com', 'A', '203.0.113.10', {comment: MARK1})], {prune: true})))).toBe(true)
  })
})
