import {describe, expect, it} from 'vitest'

import type {Finding} from '../diagnose/finding.js'
import type {CfDnsRecord} from './cloudflare/client.js'
import {answerAt, withCloudflareView, type CloudflareDnsView} from './diagnose-view.js'
import {ownerMarker} from './names.js'

const local = {machine: 'm1', infra: {publicIPv4: '203.0.113.10', publicIPv6: '2001:db8::10'}}
const ours = ownerMarker('prod', 'm1')
let n = 0
const rec = (name: string, type: string, content: string, extra: Partial<CfDnsRecord> = {}): CfDnsRecord => ({id: `r${++n}`, name, type, content, ttl: 1, proxied: false, comment: ours, ...extra})
const zone = (records: CfDnsRecord[]) => ({id: 'z', name: 'example.com', records})
const dnsFail = (name: string, detail = 'no A record (the machine serves IPv4 on 203.0.113.10) via 127.0.0.1:5353'): Finding => ({hop: 'dns', status: 'fail', subject: name, detail, fix: `create ${name} A 203.0.113.10`})
const view = (records: CfDnsRecord[], names: string[]): CloudflareDnsView => ({api: 'x', answers: names.map((name) => answerAt(name, zone(records)))})

describe('answerAt', () => {
  it('the name’s own records, else the wildcard at its closest encloser', () => {
    const records = [rec('*.example.com', 'A', '203.0.113.10'), rec('own.example.com', 'A', '198.51.100.1'), rec('x.sub.example.com', 'TXT', '"t"'), rec('*.deep.example.com', 'A', '198.51.100.2')]
    expect(answerAt('own.example.com', zone(records))).not.toHaveProperty('via')
    expect(answerAt('own.example.com', zone(records))).toMatchObject({records: [{type: 'A', content: '198.51.100.1'}]})
    expect(answerAt('app.example.com', zone(records))).toMatchObject({via: '*.example.com', records: [{content: '203.0.113.10'}]})
    expect(answerAt('a.b.example.com', zone(records))).toMatchObject({via: '*.example.com'})
    // sub.example.com exists (above x.sub): *.example.com does not answer names below it.
    expect(answerAt('y.sub.example.com', zone(records))).toEqual({name: 'y.sub.example.com', zone: 'example.com', records: []})
    expect(answerAt('z.deep.example.com', zone(records))).toMatchObject({via: '*.deep.example.com', records: [{content: '198.51.100.2'}]})
  })
})

describe('withCloudflareView', () => {
  it('names that resolve right are left alone', () => {
    const ok: Finding = {hop: 'dns', status: 'ok', subject: 'app.example.com', detail: 'resolves to 203.0.113.10'}
    expect(withCloudflareView([ok], view([], ['app.example.com']), local)).toEqual([ok])
  })

  it('missing at Cloudflare: fail, rdc dns apply', () => {
    const [f] = withCloudflareView([dnsFail('app.example.com')], view([], ['app.example.com']), local)
    expect(f).toEqual({
      hop: 'dns',
      status: 'fail',
      subject: 'app.example.com',
      detail: 'no record for app.example.com at Cloudflare (zone example.com, no wildcard answers it); the resolver: no A record (the machine serves IPv4 on 203.0.113.10) via 127.0.0.1:5353',
      fix: 'rdc dns apply m1',
    })
  })

  it('elsewhere at Cloudflare (a record rdc did not make): fail, apply --adopt', () => {
    const [f] = withCloudflareView([dnsFail('app.example.com', 'A → 192.0.2.1, not this machine (203.0.113.10)')], view([rec('app.example.com', 'A', '192.0.2.1', {comment: null}), rec('app.example.com', 'AAAA', '2001:db8::10')], ['app.example.com']), local)
    expect(f).toMatchObject({status: 'fail', detail: 'at Cloudflare app.example.com A → 192.0.2.1, not this machine (203.0.113.10); the resolver: A → 192.0.2.1, not this machine (203.0.113.10)', fix: "rdc dns apply m1 --adopt (the record is not rdc's: it is taken over), or correct it in Cloudflare"})
  })

  it('proxied at Cloudflare: fail, rdc dns apply', () => {
    const records = [rec('*.example.com', 'A', '203.0.113.10', {proxied: true}), rec('*.example.com', 'AAAA', '2001:db8::10')]
    const [f] = withCloudflareView([dnsFail('app.example.com', 'A → 104.16.0.1, not this machine (203.0.113.10)')], view(records, ['app.example.com']), local)
    expect(f).toMatchObject({status: 'fail', fix: 'rdc dns apply m1'})
    expect(f!.detail).toMatch(/^at Cloudflare app\.example\.com \(through the wildcard \*\.example\.com\) A is proxied through Cloudflare/)
  })

  it('right at Cloudflare but not what the resolver answers: a warning about propagation', () => {
    const records = [rec('*.example.com', 'A', '203.0.113.10'), rec('*.example.com', 'AAAA', '2001:db8::10')]
    const [f] = withCloudflareView([dnsFail('app.example.com')], view(records, ['app.example.com']), local)
    expect(f).toMatchObject({status: 'warn', fix: "wait for the record's TTL (automatic, 5 minutes) and for resolvers' caches, then re-run; rdc dns check m1 confirms Cloudflare's side"})
    expect(f!.detail).toMatch(/^Cloudflare has app\.example\.com \(through the wildcard \*\.example\.com\) → A 203\.0\.113\.10, AAAA 2001:db8::10, but the resolver does not answer that yet \(no A record/)
  })

  it('a zone Cloudflare would not show: one warning with the reason, the findings kept', () => {
    const f = dnsFail('app.example.com')
    expect(withCloudflareView([f], {api: 'x', error: 'Cloudflare refused the token …', fix: 'make a token'}, local)).toEqual([
      f,
      {hop: 'dns', status: 'warn', subject: 'cloudflare', detail: 'could not read the zone at Cloudflare to tell why: Cloudflare refused the token …', fix: 'make a token'},
    ])
  })
})
