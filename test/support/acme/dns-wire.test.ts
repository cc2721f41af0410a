import {describe, expect, it} from 'vitest'

import {txtValue} from './cloudflare-standin.js'
import {buildQuery, CLASS_IN, decodeMessage, encodeMessage, peekQuery, RCODE, TYPE, type DnsMessage} from './dns-wire.js'

const base: DnsMessage = {
  id: 0x1234, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, rcode: RCODE.NOERROR,
  questions: [{name: 'example.com.', type: TYPE.NS, class: CLASS_IN}], answers: [], authorities: [], additionals: [],
}

describe('the DNS wire codec', () => {
  it('encodes and decodes every record type the front answers with', () => {
    const m: DnsMessage = {
      ...base,
      answers: [
        {name: 'example.com.', type: TYPE.NS, class: CLASS_IN, ttl: 60, data: 'ns1.cf-standin.test.'},
        {name: 'example.com.', type: TYPE.SOA, class: CLASS_IN, ttl: 60,
          data: {mname: 'ns1.cf-standin.test.', rname: 'dns.cf-standin.test.', serial: 4_000_000_000, refresh: 1, retry: 2, expire: 3, minimum: 4}},
        {name: '_acme-challenge.example.com.', type: TYPE.TXT, class: CLASS_IN, ttl: 120, data: ['a'.repeat(255), 'b']},
        {name: 'www.example.com.', type: TYPE.CNAME, class: CLASS_IN, ttl: 5, data: 'example.com.'},
      ],
      additionals: [
        {name: 'ns1.cf-standin.test.', type: TYPE.A, class: CLASS_IN, ttl: 60, data: '198.18.3.1'},
        {name: 'ns1.cf-standin.test.', type: TYPE.AAAA, class: CLASS_IN, ttl: 60, data: 'fd72:6463:7468:145::1'},
        {name: 'ns1.cf-standin.test.', type: TYPE.AAAA, class: CLASS_IN, ttl: 60, data: '::1'},
        {name: 'example.com.', type: TYPE.CAA, class: CLASS_IN, ttl: 60, data: Buffer.from([0, 5, 0x69, 0x73, 0x73, 0x75, 0x65])},
      ],
    }
    expect(decodeMessage(encodeMessage(m))).toEqual(m)
  })

  it('keeps header flags and rcode', () => {
    const m = {...base, aa: false, ra: false, tc: true, rd: false, rcode: RCODE.REFUSED}
    expect(decodeMessage(encodeMessage(m))).toMatchObject({id: 0x1234, qr: true, aa: false, ra: false, tc: true, rd: false, rcode: RCODE.REFUSED})
  })

  it('follows compression pointers (other servers compress; challtestsrv does not)', () => {
    // Header, question "a.example.com. A IN", one answer whose owner is a pointer to offset 12.
    const q = buildQuery('a.example.com', TYPE.A, {id: 7})
    const answer = Buffer.concat([Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 1])])
    const msg = Buffer.concat([q, answer])
    msg.writeUInt16BE(0x8180, 2)
    msg.writeUInt16BE(1, 6)
    const d = decodeMessage(msg)
    expect(d.answers).toEqual([{name: 'a.example.com.', type: TYPE.A, class: CLASS_IN, ttl: 30, data: '192.0.2.1'}])
  })

  it('refuses a pointer loop and truncated input instead of hanging or reading past the end', () => {
    const q = buildQuery('a.example.com', TYPE.A)
    const loop = Buffer.from(q)
    loop[12] = 0xc0
    loop[13] = 12
    expect(() => decodeMessage(loop)).toThrow(/pointer loop|too many labels/)
    expect(() => decodeMessage(q.subarray(0, 20))).toThrow(/truncated|runs past/)
  })

  it('peekQuery reads the header and first question and where the question ends', () => {
    const q = buildQuery('App.Example.com', TYPE.TXT, {id: 99, rd: false})
    expect(peekQuery(q)).toEqual({id: 99, flags: 0, question: {name: 'App.Example.com.', type: TYPE.TXT, class: CLASS_IN}, questionEnd: q.length})
  })

  it('rejects labels over 63 bytes and names over 255', () => {
    expect(() => buildQuery(`${'x'.repeat(64)}.example.com`, TYPE.A)).toThrow(/1–63 bytes/)
    expect(() => buildQuery(Array(50).fill('abcdef').join('.'), TYPE.A)).toThrow(/255 bytes/)
  })
})

describe('TXT content as Cloudflare takes it', () => {
  it.each([
    ['"abc"', 'abc'],
    ['abc', 'abc'],
    ['"a b" "c"', 'a bc'],
    ['"with \\"quote\\""', 'with "quote"'],
    ['"unterminated', '"unterminated'],
  ])('%s is served as %s', (content, served) => {
    expect(txtValue(content)).toBe(served)
  })
})
