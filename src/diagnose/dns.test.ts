import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {local} from '../../test/support/diagnose-fixtures.js'
import {startDnsmasq, type Dnsmasq} from '../../test/support/dnsmasq.js'
import {UsageError} from '../errors.js'
import {checkDns} from './checks/dns.js'
import {parseResolver, resolveNames, wildcardProbeName} from './dns.js'

describe('DNS through a real dnsmasq on loopback (--resolver)', () => {
  let dns: Dnsmasq
  const infra = {...local().infra, baseDomain: 'good.test'}

  beforeAll(async () => {
    dns = await startDnsmasq([
      '--local=/good.test/',
      '--local=/nx.test/',
      '--host-record=app.good.test,203.0.113.50,2001:db8::1',
      '--host-record=v4.good.test,203.0.113.50',
      '--host-record=moved.good.test,198.51.100.7',
      // A wildcard: every name under wild.test answers, as *.wild.test would.
      '--address=/wild.test/198.51.100.7',
      '--address=/wild.test/2001:db8::7',
    ])
  })

  afterAll(async () => {
    await dns?.stop()
  })

  it('resolves A and AAAA for several names at once', async () => {
    const answers = await resolveNames(['app.good.test', 'v4.good.test', 'missing.nx.test'], {resolver: dns.address})
    expect(answers).toEqual([
      {name: 'app.good.test', resolver: dns.address, a: {addresses: ['203.0.113.50']}, aaaa: {addresses: ['2001:db8::1']}},
      {name: 'v4.good.test', resolver: dns.address, a: {addresses: ['203.0.113.50']}, aaaa: {error: 'ENODATA'}},
      {name: 'missing.nx.test', resolver: dns.address, a: {error: 'ENOTFOUND'}, aaaa: {error: 'ENOTFOUND'}},
    ])
  })

  it('judges the answers: this machine, a missing AAAA, pointing elsewhere, NXDOMAIN', async () => {
    const [app, v4, moved, missing] = await resolveNames(['app.good.test', 'v4.good.test', 'moved.good.test', 'missing.nx.test'], {resolver: dns.address})
    expect(checkDns(app!, infra)).toMatchObject({status: 'ok', detail: `resolves to 203.0.113.50, 2001:db8::1 via ${dns.address}`})
    expect(checkDns(v4!, infra)).toMatchObject({status: 'warn', fix: 'create v4.good.test (or the wildcard *.good.test) AAAA 2001:db8::1'})
    expect(checkDns(moved!, infra)).toMatchObject({
      status: 'fail',
      detail: `A → 198.51.100.7, not this machine (203.0.113.50); no AAAA record (the machine serves IPv6 on 2001:db8::1): IPv6 clients fall back to IPv4 via ${dns.address}`,
      fix: 'point moved.good.test (or the wildcard *.good.test) A to 203.0.113.50; create moved.good.test (or the wildcard *.good.test) AAAA 2001:db8::1',
    })
    expect(checkDns(missing!, infra)).toMatchObject({status: 'fail', detail: `missing.nx.test does not exist in DNS via ${dns.address} (NXDOMAIN)`})
  })

  it('recognises a wildcard answer and names the wildcard as the record to fix', async () => {
    const name = 'shop.wild.test'
    const [answer, sibling] = await resolveNames([name, wildcardProbeName(name)], {resolver: dns.address})
    expect(sibling!.name).toMatch(/^rdc-probe-[0-9a-f]{8}\.wild\.test$/)
    const f = checkDns(answer!, infra, sibling)
    expect(f).toMatchObject({
      status: 'fail',
      detail: `A → 198.51.100.7, not this machine (203.0.113.50); AAAA → 2001:db8::7, not this machine (2001:db8::1) (answered by the wildcard *.wild.test) via ${dns.address}`,
      fix: 'point *.wild.test A to 203.0.113.50; point *.wild.test AAAA to 2001:db8::1',
    })
  })

  it('a resolver that does not answer is a warning, not a wrong answer', async () => {
    // Nothing listens on the port next to ours: the query times out or is refused.
    const [answer] = await resolveNames(['app.good.test'], {resolver: '127.0.0.1:53718', timeoutMs: 300})
    expect('error' in answer!.a).toBe(true)
    expect(checkDns(answer!, infra)).toMatchObject({status: 'warn', detail: expect.stringMatching(/^could not resolve app\.good\.test via 127\.0\.0\.1:53718: E(CONNREFUSED|TIMEOUT|REFUSED)/)})
  })
})

describe('--resolver values', () => {
  it('accepts IP, IP:port and [IPv6]:port; rejects the rest with the field named', () => {
    expect(parseResolver('1.1.1.1')).toBe('1.1.1.1')
    expect(parseResolver('127.0.0.1:5353')).toBe('127.0.0.1:5353')
    expect(parseResolver('::1')).toBe('::1')
    expect(parseResolver('[::1]:5353')).toBe('[::1]:5353')
    for (const bad of ['dns.google', '1.1.1.1:0', '1.1.1.1:99999', '[::1', '']) {
      expect(() => parseResolver(bad)).toThrow(UsageError)
      try {
        parseResolver(bad)
      } catch (error) {
        expect((error as UsageError).field).toBe('resolver')
      }
    }
  })
})
