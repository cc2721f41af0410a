/**
 * Which names each machine needs in DNS: the wildcard `*.{baseDomain}` for its automatic routes, and every name its
 * routes serve that the wildcard does not answer, each with A (public IPv4) and AAAA (public IPv6). Pure.
 */
import {ConflictError} from '../errors.js'
import {canonicalAddress, coveredByWildcard, isRecordName, normalName, wildcardOf} from './names.js'

export interface MachineDns {
  machine: string
  publicIPv4?: string
  publicIPv6?: string
  baseDomain?: string
  /** Names from the machine's routes (Host / HostSNI), with the routers that serve each. */
  hosts: Array<{name: string; routers: string[]}>
  /**
   * False for machines of the context that are not being planned: their wildcard still counts when two machines
   * claim one name, but they get no records here.
   */
  planned?: boolean
}

export interface WantedRecord {
  type: 'A' | 'AAAA'
  content: string
}

export interface Claim {
  name: string
  machine: string
  why: 'wildcard' | 'route'
  /** Routers that serve the name (route claims). */
  routers: string[]
  records: WantedRecord[]
}

/** A route's name that the machine's wildcard answers, so it gets no record of its own. */
export interface Covered {
  name: string
  machine: string
  wildcard: string
  routers: string[]
  records: WantedRecord[]
}

export function wantedRecords(m: Pick<MachineDns, 'publicIPv4' | 'publicIPv6'>): WantedRecord[] {
  return [
    ...(m.publicIPv4 ? [{type: 'A' as const, content: canonicalAddress(m.publicIPv4)}] : []),
    ...(m.publicIPv6 ? [{type: 'AAAA' as const, content: canonicalAddress(m.publicIPv6)}] : []),
  ]
}

/**
 * Claims and wildcard-covered names of the planned machines. Two machines wanting one name (the same base domain,
 * one Host() on both, or a Host() one machine serves that another's wildcard answers) is a ConflictError naming both.
 */
export function claimsFor(machines: MachineDns[]): {claims: Claim[]; covered: Covered[]} {
  const claims: Claim[] = []
  const covered: Covered[] = []
  /** name → machines that want it, and how. */
  const wanters = new Map<string, Array<{machine: string; how: string}>>()
  const want = (name: string, machine: string, how: string): void => {
    const list = wanters.get(name) ?? []
    if (!list.some((w) => w.machine === machine)) list.push({machine, how})
    wanters.set(name, list)
  }

  for (const m of machines) {
    const records = wantedRecords(m)
    if (records.length === 0) continue
    const planned = m.planned !== false
    const wildcard = m.baseDomain ? wildcardOf(m.baseDomain) : undefined
    if (wildcard) {
      want(wildcard, m.machine, `its base domain ${normalName(m.baseDomain!)}`)
      if (planned) claims.push({name: wildcard, machine: m.machine, why: 'wildcard', routers: [], records})
    }
    const byName = new Map<string, Set<string>>()
    for (const h of m.hosts) {
      const name = normalName(h.name)
      if (!isRecordName(name)) continue
      const set = byName.get(name) ?? new Set<string>()
      for (const r of h.routers) set.add(r)
      byName.set(name, set)
    }
    for (const [name, routers] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
      const list = [...routers].sort()
      want(name, m.machine, `its route${list.length > 1 ? 's' : ''} ${list.join(', ')}`)
      if (!planned) continue
      if (wildcard && coveredByWildcard(name, m.baseDomain)) covered.push({name, machine: m.machine, wildcard, routers: list, records})
      else claims.push({name, machine: m.machine, why: 'route', routers: list, records})
    }
  }

  // Another machine's explicit record under this machine's wildcard is no clash: DNS answers the explicit one, and
  // this machine routes nothing under that name. Only a name both machines want is claimed twice.
  const clashes = [...wanters].filter(([, list]) => list.length > 1)
  if (clashes.length > 0) {
    const [name, list] = clashes[0]!
    const who = list.map((w) => `${w.machine} (${w.how})`).join(' and ')
    throw new ConflictError(`${name} is claimed by two machines: ${who}.${clashes.length > 1 ? ` ${clashes.length - 1} more name${clashes.length > 2 ? 's are' : ' is'} claimed twice.` : ''}`, {
      suggestion: name.startsWith('*.')
        ? `Give each machine a base domain of its own, e.g. rdc context set-infra ${list[1]!.machine} --base-domain ${list[1]!.machine}.${name.slice(2)}, then push-infra.`
        : `Serve ${name} from one machine only: remove its Host() label from the other repository (or point it at another name), redeploy, then run rdc dns plan again.`,
    })
  }
  return {claims, covered}
}
