/**
 * diagnose's DNS hop with Cloudflare's view: when a name does not resolve to the machine, what the zone at
 * Cloudflare holds tells why — no record there, a record pointing elsewhere (or proxied), or the right record that
 * the resolver does not answer yet (propagation) — and `rdc dns apply` is the fix. Names that resolve right are
 * left as they are: the hop's question is whether the name reaches the machine.
 */
import type {InfraSettings} from '../config/schema.js'
import type {Secret} from '../config/secret.js'
import type {Finding} from '../diagnose/finding.js'
import {CloudflareClient, type CfDnsRecord, type CfZone} from './cloudflare/client.js'
import {explainCloudflareError} from './cloudflare/explain.js'
import {canonicalAddress, cloudflareApiBase, markerOwner, normalName, zoneOf} from './names.js'
import type {ZoneRecords} from './plan.js'

export interface CloudflareAnswer {
  name: string
  /** The zone holding the name; absent when no zone the token sees does. */
  zone?: string
  /** `*.example.com` when the zone's wildcard answers the name (it has no record of its own). */
  via?: string
  records: Array<{type: string; content: string; proxied: boolean; ttl: number; owner?: string}>
}

export type CloudflareDnsView = {api: string; answers: CloudflareAnswer[]} | {api: string; error: string; fix?: string}

const ANSWERING = new Set(['A', 'AAAA', 'CNAME'])

/**
 * The records Cloudflare answers `name` with: its own, else the wildcard at its closest encloser (the longest
 * ancestor that exists, as a record's name or above one), as DNS synthesises wildcard answers.
 */
export function answerAt(name: string, zone: ZoneRecords): CloudflareAnswer {
  const n = normalName(name)
  const view = (recs: CfDnsRecord[]) =>
    recs.filter((r) => ANSWERING.has(r.type)).map((r) => ({type: r.type, content: r.content, proxied: r.proxied === true, ttl: r.ttl, ...(markerOwner(r.comment) ? {owner: markerOwner(r.comment)!} : {})}))
  const names = zone.records.map((r) => normalName(r.name))
  const exists = (x: string) => names.some((r) => r === x || r.endsWith(`.${x}`))
  if (names.includes(n)) return {name: n, zone: zone.name, records: view(zone.records.filter((r) => normalName(r.name) === n))}
  let encloser = n
  while (encloser !== zone.name && encloser.includes('.')) {
    encloser = encloser.slice(encloser.indexOf('.') + 1)
    if (encloser === zone.name || exists(encloser)) break
  }
  const wildcard = `*.${encloser}`
  const recs = zone.records.filter((r) => normalName(r.name) === wildcard)
  return recs.length > 0 ? {name: n, zone: zone.name, via: wildcard, records: view(recs)} : {name: n, zone: zone.name, records: []}
}

/**
 * A lookup of names in the machine's zones at Cloudflare, made only when diagnose has a name that does not resolve
 * right (a diagnose that finds nothing wrong asks Cloudflare nothing); each call reads the zones its names fall in.
 */
export function cloudflareDnsLookup(o: {machine: string; infra: InfraSettings; token: Secret; client?: CloudflareClient}): (names: string[]) => Promise<CloudflareDnsView> {
  const api = cloudflareApiBase(o.infra)
  const client = o.client ?? new CloudflareClient({baseUrl: api, token: o.token, maxRetries: 2, maxRetryWaitMs: 10_000, timeoutMs: 10_000})
  let zones: Promise<CfZone[]> | undefined
  const ctx = {machine: o.machine, baseUrl: api}
  return async (names) => {
    let list: CfZone[]
    try {
      list = await (zones ??= client.listZones())
    } catch (error) {
      const e = explainCloudflareError(error, {...ctx, doing: 'listing the zones the token can see', need: 'zone-read'})
      return {api, error: e.message, ...(e.suggestion ? {fix: e.suggestion} : {})}
    }
    const zoneNames = list.map((z) => normalName(z.name))
    const wanted = [...new Set(names.map((n) => zoneOf(n, zoneNames)).filter((z): z is string => z !== undefined))]
    const loaded: ZoneRecords[] = []
    for (const zn of wanted) {
      const z = list.find((x) => normalName(x.name) === zn)!
      try {
        loaded.push({id: z.id, name: zn, records: await client.listRecords(z.id)})
      } catch (error) {
        const e = explainCloudflareError(error, {...ctx, zone: zn, doing: `reading the DNS records of ${zn}`, need: 'dns-read'})
        return {api, error: e.message, ...(e.suggestion ? {fix: e.suggestion} : {})}
      }
    }
    return {
      api,
      answers: names.map((n) => {
        const zn = zoneOf(n, zoneNames)
        const z = loaded.find((x) => x.name === zn)
        return z ? answerAt(n, z) : {name: normalName(n), records: []}
      }),
    }
  }
}

function ttlText(ttl: number): string {
  return ttl === 1 ? 'automatic, 5 minutes' : `${ttl} s`
}

/** Cloudflare's side of one name against the machine's addresses: problems (worst first) or none. */
function cloudflareProblems(a: CloudflareAnswer, infra: {publicIPv4?: string; publicIPv6?: string}): {status: 'fail' | 'warn'; text: string; foreign: boolean}[] {
  const out: {status: 'fail' | 'warn'; text: string; foreign: boolean}[] = []
  const cname = a.records.find((r) => r.type === 'CNAME')
  if (cname) return [{status: 'fail', text: `is a CNAME to ${cname.content}${cname.proxied ? ' (proxied)' : ''}`, foreign: cname.owner === undefined}]
  for (const [type, want] of [['A', infra.publicIPv4], ['AAAA', infra.publicIPv6]] as const) {
    const recs = a.records.filter((r) => r.type === type)
    const foreign = recs.some((r) => r.owner === undefined)
    if (want === undefined) {
      if (recs.length > 0) out.push({status: 'fail', text: `${type} → ${recs.map((r) => r.content).join(', ')}, but the machine has no ${type === 'A' ? 'IPv4' : 'IPv6'} address`, foreign})
      continue
    }
    if (recs.length === 0) {
      out.push({status: type === 'A' ? 'fail' : 'warn', text: `no ${type} record`, foreign: false})
      continue
    }
    const mine = canonicalAddress(want)
    if (!recs.some((r) => canonicalAddress(r.content) === mine)) out.push({status: 'fail', text: `${type} → ${recs.map((r) => r.content).join(', ')}, not this machine (${want})`, foreign})
    else if (recs.length > 1) out.push({status: 'warn', text: `${type} → ${recs.map((r) => r.content).join(', ')}: also elsewhere`, foreign})
    const proxied = recs.filter((r) => r.proxied)
    if (proxied.length > 0) out.push({status: 'fail', text: `${type} is proxied through Cloudflare, which carries only HTTP(S) and hides the machine's address`, foreign})
  }
  return out.sort((x, y) => (x.status === y.status ? 0 : x.status === 'fail' ? -1 : 1))
}

/** The dns findings that are not ok, told again with what Cloudflare holds for their names. */
export function withCloudflareView(findings: Finding[], view: CloudflareDnsView, local: {machine: string; infra: {publicIPv4?: string; publicIPv6?: string}}): Finding[] {
  const apply = `rdc dns apply ${local.machine}`
  if ('error' in view) {
    if (!findings.some((f) => f.hop === 'dns' && f.status !== 'ok')) return findings
    return [...findings, {hop: 'dns', status: 'warn', subject: 'cloudflare', detail: `could not read the zone at Cloudflare to tell why: ${view.error}`, ...(view.fix ? {fix: view.fix} : {})}]
  }
  return findings.map((f) => {
    if (f.hop !== 'dns' || f.status === 'ok' || f.subject === undefined) return f
    const a = view.answers.find((x) => x.name === normalName(f.subject!))
    if (a === undefined || a.zone === undefined) return f
    const problems = cloudflareProblems(a, local.infra)
    const where = a.via ? ` (through the wildcard ${a.via})` : ''
    if (a.records.length === 0) {
      return {...f, status: 'fail', detail: `no record for ${a.name} at Cloudflare (zone ${a.zone}, no wildcard answers it); the resolver: ${f.detail}`, fix: apply}
    }
    if (problems.length > 0) {
      const foreign = problems.some((p) => p.foreign)
      return {
        ...f,
        status: problems[0]!.status,
        detail: `at Cloudflare ${a.name}${where} ${problems.map((p) => p.text).join('; ')}; the resolver: ${f.detail}`,
        fix: foreign ? `${apply} --adopt (the record is not rdc's: it is taken over), or correct it in Cloudflare` : apply,
      }
    }
    const shown = a.records.map((r) => `${r.type} ${r.content}`).join(', ')
    const ttl = Math.max(...a.records.map((r) => r.ttl))
    return {
      ...f,
      status: 'warn',
      detail: `Cloudflare has ${a.name}${where} → ${shown}, but the resolver does not answer that yet (${f.detail}): not propagated`,
      fix: `wait for the record's TTL (${ttlText(ttl)}) and for resolvers' caches, then re-run; rdc dns check ${local.machine} confirms Cloudflare's side`,
    }
  })
}
