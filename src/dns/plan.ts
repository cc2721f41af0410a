/**
 * The records plan: what rdc wants (claims) against what Cloudflare holds (zones with their records), as a list
 * of actions. Pure: no I/O, so every case is a unit test.
 *
 * Rules:
 * - rdc changes or removes only records that carry the planned machine's marker (their `comment`).
 * - A name held by any other record (no marker, or another machine's) is a conflict; `adopt` takes it over: the
 *   first record of the type is changed to this machine (and marked), others of that name are removed.
 * - Records are DNS-only; one of ours that someone switched to proxied is switched back (Cloudflare's proxy
 *   carries only HTTP(S): TCP/UDP entry points and the DNS-01 checks would break).
 * - Our records that no claim needs any more are `stale`; `prune` removes them.
 * - A route name the wildcard answers needs no record, unless the zone holds a record of its own at that name
 *   (of any type): then the wildcard does not answer it, which is a conflict (`adopt`: a record of its own).
 */
import type {CfDnsRecord} from './cloudflare/client.js'
import type {Claim, Covered, WantedRecord} from './claims.js'
import {canonicalAddress, CHECK_LABEL, markerOwner, normalName, ownerMarker, zoneOf} from './names.js'

export type Action = 'create' | 'update' | 'delete' | 'keep' | 'conflict' | 'stale' | 'unmanaged'

export interface RecordNow {
  id: string
  content: string
  proxied: boolean
  ttl: number
  comment?: string
}

export interface PlannedRecord {
  action: Action
  zone?: string
  zoneId?: string
  name: string
  type: string
  /** What rdc wants there (create, update, keep). */
  content?: string
  /** The record at Cloudflare now (update, delete, keep, conflict, stale). */
  current?: RecordNow
  /** The machine the record is (or would be) for. */
  machine?: string
  /** Why, in plain words. */
  reason: string
  /** conflict: who holds the name: `foreign` (a record rdc did not make) or the rdc owner (`context/machine`). */
  heldBy?: string
  /** apply: the change was made. */
  done?: boolean
}

export interface ZoneRecords {
  id: string
  name: string
  records: CfDnsRecord[]
}

export interface PlanInput {
  context: string
  claims: Claim[]
  covered: Covered[]
  /** Machines being planned: their markers are "ours". */
  machines: string[]
  /** Zones the token sees; `records` loaded for those that matter. */
  zones: ZoneRecords[]
  adopt?: boolean
  prune?: boolean
}

/** TTL of records rdc makes: 1 = Cloudflare's "automatic" (300 s). */
export const RECORD_TTL = 1

const ADDRESS_TYPES = new Set(['A', 'AAAA', 'CNAME'])
const ORDER: Record<Action, number> = {delete: 0, update: 1, create: 2, conflict: 3, stale: 4, unmanaged: 5, keep: 6}

function now(r: CfDnsRecord): RecordNow {
  return {id: r.id, content: r.content, proxied: r.proxied === true, ttl: r.ttl, ...(r.comment ? {comment: r.comment} : {})}
}

function describe(r: CfDnsRecord): string {
  return `${r.type} ${r.content}${r.proxied ? ', proxied' : ''}`
}

function holder(r: CfDnsRecord): string {
  return markerOwner(r.comment) ?? 'foreign'
}

function heldByText(r: CfDnsRecord): string {
  const owner = markerOwner(r.comment)
  return owner === undefined ? `a record rdc did not make (${describe(r)})` : `rdc's record for ${owner} (${describe(r)})`
}

function sameContent(r: CfDnsRecord, content: string): boolean {
  return (r.type === 'A' || r.type === 'AAAA' ? canonicalAddress(r.content) : r.content) === content
}

export function planRecords(input: PlanInput): PlannedRecord[] {
  const out: PlannedRecord[] = []
  const ours = new Map(input.machines.map((m) => [ownerMarker(input.context, m), m]))
  const zoneNames = input.zones.map((z) => z.name)
  const zoneByName = new Map(input.zones.map((z) => [normalName(z.name), z]))
  const touched = new Set<string>()
  const at = (z: ZoneRecords, name: string): CfDnsRecord[] => z.records.filter((r) => normalName(r.name) === name)
  const base = (z: ZoneRecords, name: string, type: string) => ({zone: z.name, zoneId: z.id, name, type})

  const claims: Array<Claim & {adopted?: boolean}> = [...input.claims]
  for (const c of input.covered) {
    const zoneName = zoneOf(c.name, zoneNames)
    if (zoneName === undefined) continue
    const z = zoneByName.get(zoneName)!
    const blocking = at(z, c.name).filter((r) => !ours.has(r.comment ?? '') && !normalName(r.name).startsWith(`${CHECK_LABEL}.`))
    if (blocking.length === 0) continue
    if (input.adopt) {
      claims.push({name: c.name, machine: c.machine, why: 'route', routers: c.routers, records: c.records, adopted: true})
      continue
    }
    for (const r of blocking) {
      touched.add(r.id)
      out.push({
        action: 'conflict',
        ...base(z, c.name, r.type),
        current: now(r),
        machine: c.machine,
        heldBy: holder(r),
        reason: `${c.wildcard} would answer it, but the zone has ${heldByText(r)} at this name, so the wildcard does not; --adopt gives it records of its own`,
      })
    }
  }

  for (const claim of claims) {
    const what = claim.why === 'wildcard' ? `wildcard for the automatic routes of ${claim.machine}` : `${claim.routers.join(', ') || 'route'} on ${claim.machine}`
    const zoneName = zoneOf(claim.name, zoneNames)
    if (zoneName === undefined) {
      for (const w of claim.records) {
        out.push({action: 'unmanaged', name: claim.name, type: w.type, content: w.content, machine: claim.machine, reason: `not in a zone the token can see (${zoneNames.join(', ') || 'none'}): create it elsewhere, or give the token that zone`})
      }
      continue
    }
    const z = zoneByName.get(zoneName)!
    const mine = ownerMarker(input.context, claim.machine)
    const here = at(z, claim.name)
    const wantedTypes = new Set(claim.records.map((w) => w.type))

    // A CNAME allows no other record at its name: it goes first (adopt) or the name is taken.
    const cnames = here.filter((x) => x.type === 'CNAME')
    for (const r of cnames) {
      touched.add(r.id)
      if (input.adopt) out.push({action: 'delete', ...base(z, claim.name, 'CNAME'), current: now(r), machine: claim.machine, reason: `${heldByText(r)} is in the way of A/AAAA; taken over (--adopt)`})
      else out.push({action: 'conflict', ...base(z, claim.name, 'CNAME'), current: now(r), machine: claim.machine, heldBy: holder(r), reason: `held by ${heldByText(r)}; --adopt takes it over`})
    }

    if (cnames.length > 0 && !input.adopt) continue
    for (const w of claim.records) planType(z, claim, w, here.filter((r) => r.type === w.type), mine, what)

    // Another machine's address of the family this machine does not serve would send those clients elsewhere.
    for (const r of here.filter((x) => (x.type === 'A' || x.type === 'AAAA') && !wantedTypes.has(x.type as 'A' | 'AAAA'))) {
      if (r.comment === mine) continue // ours, no longer wanted: stale below
      touched.add(r.id)
      const family = r.type === 'A' ? 'IPv4' : 'IPv6'
      if (input.adopt) out.push({action: 'delete', ...base(z, claim.name, r.type), current: now(r), machine: claim.machine, reason: `${heldByText(r)} sends ${family} clients elsewhere and ${claim.machine} has no ${family} address; removed (--adopt)`})
      else out.push({action: 'conflict', ...base(z, claim.name, r.type), current: now(r), machine: claim.machine, heldBy: holder(r), reason: `${heldByText(r)} sends ${family} clients elsewhere (${claim.machine} has no ${family} address); --adopt removes it`})
    }
  }

  function planType(z: ZoneRecords, claim: Claim & {adopted?: boolean}, w: WantedRecord, same: CfDnsRecord[], mine: string, what: string): void {
    for (const r of same) touched.add(r.id)
    const own = same.filter((r) => r.comment === mine)
    const foreign = same.filter((r) => r.comment !== mine)
    const entry = base(z, claim.name, w.type)
    let kept = false
    for (const r of own) {
      if (kept) {
        out.push({action: 'delete', ...entry, current: now(r), machine: claim.machine, reason: `a second ${w.type} rdc made for ${claim.machine}: one is enough`})
        continue
      }
      kept = true
      const wrong = !sameContent(r, w.content)
      if (!wrong && r.proxied !== true) {
        out.push({action: 'keep', ...entry, content: w.content, current: now(r), machine: claim.machine, reason: `up to date (${what})`})
        continue
      }
      const why = [
        wrong ? `points to ${r.content}` : '',
        r.proxied ? "was switched to proxied: back to DNS only (Cloudflare's proxy carries only HTTP(S) and would break TCP/UDP entry points and DNS-01)" : '',
      ].filter(Boolean)
      out.push({action: 'update', ...entry, content: w.content, current: now(r), machine: claim.machine, reason: `${why.join('; ')} (${what})`})
    }
    for (const r of foreign) {
      if (input.adopt && !kept) {
        kept = true
        out.push({action: 'update', ...entry, content: w.content, current: now(r), machine: claim.machine, reason: `taken over from ${heldByText(r)} (--adopt; ${what})`})
      } else if (input.adopt) {
        out.push({action: 'delete', ...entry, current: now(r), machine: claim.machine, reason: `${heldByText(r)} would share the name with ${claim.machine}'s record; removed (--adopt)`})
      } else {
        out.push({action: 'conflict', ...entry, current: now(r), machine: claim.machine, heldBy: holder(r), reason: `held by ${heldByText(r)}; --adopt takes it over`})
      }
    }
    if (!kept && (input.adopt || foreign.length === 0)) {
      out.push({action: 'create', ...entry, content: w.content, machine: claim.machine, reason: claim.adopted ? `${what}: a record of its own, since the zone has another record at this name (--adopt)` : what})
    }
  }

  // Ours, not needed by any claim: stale (prune removes them).
  for (const z of input.zones) {
    for (const r of z.records) {
      const machine = ours.get(r.comment ?? '')
      if (machine === undefined || touched.has(r.id) || !ADDRESS_TYPES.has(r.type)) continue
      const entry = base(z, normalName(r.name), r.type)
      if (input.prune) out.push({action: 'delete', ...entry, current: now(r), machine, reason: `made by rdc for ${machine}; no route needs it any more (--prune)`})
      else out.push({action: 'stale', ...entry, current: now(r), machine, reason: `made by rdc for ${machine}; no route needs it any more: apply --prune removes it`})
    }
  }

  return out.sort((a, b) => ORDER[a.action] - ORDER[b.action] || (a.zone ?? '').localeCompare(b.zone ?? '') || a.name.localeCompare(b.name) || a.type.localeCompare(b.type))
}

export type ActionCounts = Record<Action, number>

export function countActions(records: readonly PlannedRecord[]): ActionCounts {
  const counts: ActionCounts = {create: 0, update: 0, delete: 0, keep: 0, conflict: 0, stale: 0, unmanaged: 0}
  for (const r of records) counts[r.action]++
  return counts
}

/** Cloudflare differs from the plan: something to create, change or remove, or a name held by another record. */
export function drifted(counts: ActionCounts): boolean {
  return counts.create + counts.update + counts.delete + counts.conflict > 0
}
