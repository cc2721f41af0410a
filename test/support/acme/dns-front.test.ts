import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {queryDns, RCODE, TYPE, type DnsMessage} from './dns-wire.js'
import {startAcmeLab, type AcmeLab} from './lab.js'

const V4 = ['127.0.0.181', '127.0.0.182']
const V6 = '::1'
let lab: AcmeLab

beforeAll(async () => {
  lab = await startAcmeLab({addresses: [...V4, V6], zones: ['example.com', 'sub.example.net'], token: 't', dnsPort: 0})
})

afterAll(async () => {
  await lab?.stop()
})

const data = (m: DnsMessage, section: 'answers' | 'authorities' | 'additionals' = 'answers'): unknown[] => m[section].map((r) => r.data)

describe('the DNS front', () => {
  it('answers SOA at a zone apex itself, authoritatively', async () => {
    const m = await queryDns(lab.resolver(), 'example.com', TYPE.SOA)
    expect(m).toMatchObject({rcode: RCODE.NOERROR, aa: true})
    expect(m.answers).toEqual([
      expect.objectContaining({name: 'example.com.', type: TYPE.SOA, data: expect.objectContaining({mname: 'ns1.cf-standin.test.', rname: 'dns.cf-standin.test.'})}),
    ])
  })

  it('answers SOA below the apex with NODATA and the SOA in authority, so lego\'s walk moves up to the apex', async () => {
    for (const name of ['_acme-challenge.app.example.com', 'app.example.com']) {
      const m = await queryDns(lab.resolver(), name, TYPE.SOA)
      expect(m).toMatchObject({rcode: RCODE.NOERROR, answers: []})
      expect(m.authorities).toEqual([expect.objectContaining({name: 'example.com.', type: TYPE.SOA})])
    }
    // A zone below a public suffix-like parent: the walk stops at sub.example.net, not example.net.
    expect((await queryDns(lab.resolver(), 'sub.example.net', TYPE.SOA)).answers[0]?.name).toBe('sub.example.net.')
    expect((await queryDns(lab.resolver(), 'a.sub.example.net', TYPE.SOA)).authorities[0]?.name).toBe('sub.example.net.')
  })

  it('answers NS at the apex with the stand-in\'s name servers and, as glue, the address the query came to', async () => {
    const m = await queryDns(lab.resolver(V4[1]), 'example.com', TYPE.NS)
    expect(data(m)).toEqual(['ns1.cf-standin.test.', 'ns2.cf-standin.test.'])
    expect(data(m, 'additionals')).toEqual([V4[1], V4[1]])
    expect(data(await queryDns(lab.resolver(), 'app.example.com', TYPE.NS))).toEqual([])
  })

  it('answers A/AAAA of the name servers with the address the query arrived on, of that family only', async () => {
    for (const address of V4) {
      expect(data(await queryDns(lab.resolver(address), 'ns1.cf-standin.test', TYPE.A))).toEqual([address])
      expect(data(await queryDns(lab.resolver(address), 'ns2.cf-standin.test.', TYPE.A, {tcp: true}))).toEqual([address])
      expect(data(await queryDns(lab.resolver(address), 'ns1.cf-standin.test', TYPE.AAAA))).toEqual([])
    }
    expect(data(await queryDns(lab.resolver(V6), 'ns1.cf-standin.test', TYPE.AAAA))).toEqual([V6])
    expect(data(await queryDns(lab.resolver(V6), 'ns1.cf-standin.test', TYPE.A))).toEqual([])
    expect(lab.resolver(V6)).toMatch(/^\[::1\]:\d+$/)
  })

  it('refuses SOA and NS for names in no zone it serves', async () => {
    expect((await queryDns(lab.resolver(), 'example.org', TYPE.SOA)).rcode).toBe(RCODE.REFUSED)
    expect((await queryDns(lab.resolver(), 'com', TYPE.NS)).rcode).toBe(RCODE.REFUSED)
  })

  it('relays TXT to challtestsrv, over UDP and TCP, whatever the case of the name, and keeps the client\'s spelling of the question', async () => {
    const r = await lab.createRecord('example.com', {type: 'TXT', name: '_acme-challenge.case.example.com', content: '"v"'})
    try {
      for (const tcp of [false, true]) {
        const m = await queryDns(lab.resolver(V4[1]), '_ACME-Challenge.Case.Example.com', TYPE.TXT, {tcp})
        expect(m.questions[0]?.name).toBe('_ACME-Challenge.Case.Example.com.')
        expect(data(m)).toEqual([['v']])
        expect(m).toMatchObject({rcode: RCODE.NOERROR, ra: true, aa: true})
      }
    } finally {
      await lab.deleteRecord('example.com', r.id)
    }
  })

  it('a name nobody created is NOERROR with no records (challtestsrv\'s default 127.0.0.1 and ::1 are switched off), with RA set', async () => {
    for (const type of [TYPE.A, TYPE.AAAA, TYPE.TXT]) {
      const m = await queryDns(lab.resolver(), 'nobody.example.com', type)
      expect(m).toMatchObject({rcode: RCODE.NOERROR, answers: [], ra: true})
    }
    // Outside the zones too (relayed; challtestsrv never answers NXDOMAIN).
    expect(await queryDns(lab.resolver(), 'www.example.org', TYPE.A)).toMatchObject({rcode: RCODE.NOERROR, answers: [], aa: false, ra: true})
  })

  it('logs each query: where it came in, and who answered', async () => {
    await queryDns(lab.resolver(V4[0]), 'example.com', TYPE.SOA, {rd: false})
    const q = lab.dnsQueries().at(-1)
    expect(q).toMatchObject({transport: 'udp', local: V4[0], name: 'example.com', type: 'SOA', rd: false, answeredBy: 'front', rcode: 'NOERROR', answers: 1})
    expect(lab.dnsQueries().some((e) => e.answeredBy === 'challtestsrv' && e.transport === 'tcp')).toBe(true)
  })
})
