/**
 * `rdc dns plan|apply|check`: the machines' settings and their routes (read over SSH) → the records they need →
 * compared with what Cloudflare holds → shown, made, or checked. Commands call these with plain options.
 */
import {effectiveInfra} from '../config/infra.js'
import {getMachine, resolveContext, resolveMachine} from '../config/resolve.js'
import type {Context, Machine, RdcConfig} from '../config/schema.js'
import type {Secret} from '../config/secret.js'
import {CloudflareError, ConflictError, DriftError, type RdcError, UsageError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import {mapLimit} from '../map-limit.js'
import {claimsFor, type MachineDns} from './claims.js'
import {CloudflareClient, type CfDnsRecord, type CfZone} from './cloudflare/client.js'
import {explainCloudflareError, zoneNotVisible} from './cloudflare/explain.js'
import {cloudflareApiBase, normalName, ownerMarker, wildcardOf, zoneOf} from './names.js'
import {countActions, drifted, planRecords, RECORD_TTL, type ActionCounts, type PlannedRecord, type ZoneRecords} from './plan.js'
import {readMachineRoutes, type MachineRoutes} from './routes.js'

export interface DnsOptions {
  /** Machine names (none: RDC_MACHINE or the project config), or `all`. */
  machines: string[]
  all?: boolean
  configPath?: string
  contextName?: string
  adopt?: boolean
  prune?: boolean
  /** Machines whose routes are read at once (default 4). */
  concurrency?: number
  /** Status lines (`m1: reading routes`), not the result. */
  progress?: (line: string) => void
  /** Opens a verified connection (default: SSH with the pinned host key). */
  connect?: (machineName: string, machine: Machine, context: Context) => Promise<Transport>
  /** Routes of a machine already at hand (repo up --dns); others are read over `connect`. */
  routesOf?: (machineName: string) => Promise<MachineRoutes> | undefined
  /** Tests: a client per API and token. */
  client?: (o: {baseUrl: string; token: Secret}) => CloudflareClient
}

export interface DnsMachine {
  machine: string
  /** Cloudflare's API this machine's token is used at (CLOUDFLARE_BASE_URL of its proxy environment, else Cloudflare). */
  api: string
  publicIPv4?: string
  publicIPv6?: string
  baseDomain?: string
  /** `*.{baseDomain}`, when automatic routes are on. */
  wildcard?: string
  routes: number
  /** Names from the routes; `wildcard` when the machine's wildcard answers it (no record of its own). */
  hosts: Array<{name: string; routers: string[]; wildcard?: string}>
}

export interface DnsPlanResult {
  context: string
  machines: DnsMachine[]
  zones: Array<{zone: string; id: string; records: number}>
  records: PlannedRecord[]
  counts: ActionCounts
  /** Nothing to create, change or remove, and no name held by another record. */
  inSync: boolean
  adopt: boolean
  prune: boolean
}

export interface DnsApplyResult extends DnsPlanResult {
  /** Changes made at Cloudflare. */
  changed: number
  error?: {kind: string; exitCode: number; message: string; suggestion?: string}
}

interface Group {
  api: string
  token: Secret
  client: CloudflareClient
  machines: string[]
}

interface Planned {
  result: DnsPlanResult
  clientOf: Map<PlannedRecord, CloudflareClient>
}

async function resolveTargets(o: DnsOptions): Promise<{contextName: string; context: Context; names: string[]}> {
  if (o.machines.length > 0 && o.all) {
    throw new UsageError('Give machine names or --all, not both.', {field: 'all', suggestion: 'rdc dns plan server-1 server-2 (or --all)'})
  }
  const base = {configPath: o.configPath, context: o.contextName}
  if (o.machines.length === 0 && !o.all) {
    const {contextName, context, machineName} = await resolveMachine(base)
    return {contextName, context, names: [machineName]}
  }
  const {contextName, context} = await resolveContext(base)
  const names = o.all ? Object.keys(context.machines) : [...new Set(o.machines)]
  if (names.length === 0) throw new UsageError(`Context "${contextName}" has no machines.`, {field: 'all', suggestion: 'Add one: rdc context add-machine <name> --host <address> --user <user>'})
  const config = {version: 1, contexts: {[contextName]: context}} as RdcConfig
  for (const n of names) getMachine(config, contextName, n)
  return {contextName, context, names}
}


async function defaultConnect(machineName: string, machine: Machine, context: Context): Promise<Transport> {
  const {connectMachine} = await import('../remote/connect.js')
  return connectMachine(machineName, machine, context)
}

/** Zones whose records are read: those the claims touch, and every visible zone while there are few (stale records). */
const SCAN_ALL_ZONES_UP_TO = 20

async function buildPlan(o: DnsOptions): Promise<Planned> {
  const {contextName, context, names} = await resolveTargets(o)
  const planned = names.map((name) => {
    const machine = context.machines[name]!
    const infra = effectiveInfra(machine)
    if (!infra.publicIPv4 && !infra.publicIPv6) {
      throw new UsageError(`${name} has no public address: there is nothing for its records to point to.`, {field: 'machine', suggestion: `rdc context set-infra ${name} --public-ipv4 <address> (and/or --public-ipv6)`})
    }
    if (!infra.cfDnsApiToken) {
      throw new UsageError(`${name} has no Cloudflare token, so rdc cannot read or change its zone.`, {
        field: 'machine',
        suggestion: `printf %s "$TOKEN" | rdc context set-infra ${name} --cf-dns-token -   (a token with Zone:Zone:Read and Zone:DNS:Edit), or set RDC_CF_DNS_TOKEN`,
      })
    }
    return {name, machine, infra, token: infra.cfDnsApiToken, api: cloudflareApiBase(machine.infra)}
  })
  const others: MachineDns[] = Object.entries(context.machines)
    .filter(([n]) => !names.includes(n))
    .map(([n, m]) => ({machine: n, publicIPv4: m.infra.publicIPv4, publicIPv6: m.infra.publicIPv6, baseDomain: m.infra.baseDomain, hosts: [], planned: false}))
  // Two machines with one base domain clash whatever their routes: say so before connecting anywhere.
  claimsFor([...planned.map((p) => ({machine: p.name, publicIPv4: p.infra.publicIPv4, publicIPv6: p.infra.publicIPv6, baseDomain: p.infra.baseDomain, hosts: []})), ...others])

  const routes = await mapLimit(planned, o.concurrency ?? 4, async (p) => {
    const given = o.routesOf?.(p.name)
    if (given) return given
    o.progress?.(`${p.name}: reading routes`)
    const t = await (o.connect ?? defaultConnect)(p.name, p.machine, context)
    try {
      return await readMachineRoutes(t, p.name)
    } finally {
      await t.close().catch(() => undefined)
    }
  })
  const dnsMachines: MachineDns[] = planned.map((p, i) => ({machine: p.name, publicIPv4: p.infra.publicIPv4, publicIPv6: p.infra.publicIPv6, baseDomain: p.infra.baseDomain, hosts: routes[i]!.hosts}))
  const {claims, covered} = claimsFor([...dnsMachines, ...others])

  const groups: Group[] = []
  for (const p of planned) {
    const g = groups.find((x) => x.api === p.api && x.token.reveal() === p.token.reveal())
    if (g) g.machines.push(p.name)
    else groups.push({api: p.api, token: p.token, client: (o.client ?? ((c) => new CloudflareClient(c)))({baseUrl: p.api, token: p.token}), machines: [p.name]})
  }

  const records: PlannedRecord[] = []
  const clientOf = new Map<PlannedRecord, CloudflareClient>()
  const zonesOut: DnsPlanResult['zones'] = []
  for (const g of groups) {
    const first = g.machines[0]!
    o.progress?.(`${g.machines.join(', ')}: reading zones at ${g.api}`)
    let zones: CfZone[]
    try {
      zones = await g.client.listZones()
    } catch (error) {
      throw explainCloudflareError(error, {doing: 'listing the zones the token can see', need: 'zone-read', machine: first, baseUrl: g.api})
    }
    const zoneNames = zones.map((z) => normalName(z.name))
    for (const name of g.machines) {
      const base = planned.find((p) => p.name === name)!.infra.baseDomain
      if (base && zoneOf(wildcardOf(base), zoneNames) === undefined) throw zoneNotVisible(base, zoneNames, name, g.api)
    }
    const mine = (n: {machine: string}) => g.machines.includes(n.machine)
    const groupClaims = claims.filter(mine)
    const groupCovered = covered.filter(mine)
    const needed = new Set([...groupClaims, ...groupCovered].map((c) => zoneOf(c.name, zoneNames)).filter((z): z is string => z !== undefined))
    const read = zones.filter((z) => needed.has(normalName(z.name)) || zones.length <= SCAN_ALL_ZONES_UP_TO)
    const zoneRecords: ZoneRecords[] = []
    for (const z of read) {
      let list: CfDnsRecord[]
      try {
        list = await g.client.listRecords(z.id)
      } catch (error) {
        throw explainCloudflareError(error, {doing: `reading the DNS records of ${z.name}`, need: 'dns-read', zone: z.name, machine: first, baseUrl: g.api})
      }
      zoneRecords.push({id: z.id, name: normalName(z.name), records: list})
      if (!zonesOut.some((x) => x.id === z.id)) zonesOut.push({zone: normalName(z.name), id: z.id, records: list.length})
    }
    const groupRecords = planRecords({context: contextName, claims: groupClaims, covered: groupCovered, machines: g.machines, zones: zoneRecords, adopt: o.adopt, prune: o.prune})
    for (const r of groupRecords) clientOf.set(r, g.client)
    records.push(...groupRecords)
  }

  const counts = countActions(records)
  const machines: DnsMachine[] = planned.map((p, i) => ({
    machine: p.name,
    api: p.api,
    ...(p.infra.publicIPv4 ? {publicIPv4: p.infra.publicIPv4} : {}),
    ...(p.infra.publicIPv6 ? {publicIPv6: p.infra.publicIPv6} : {}),
    ...(p.infra.baseDomain ? {baseDomain: p.infra.baseDomain, wildcard: wildcardOf(p.infra.baseDomain)} : {}),
    routes: routes[i]!.routes,
    hosts: routes[i]!.hosts.map((h) => {
      const c = covered.find((x) => x.machine === p.name && x.name === normalName(h.name))
      return {name: h.name, routers: h.routers, ...(c ? {wildcard: c.wildcard} : {})}
    }),
  }))
  return {
    result: {context: contextName, machines, zones: zonesOut, records, counts, inSync: !drifted(counts), adopt: Boolean(o.adopt), prune: Boolean(o.prune)},
    clientOf,
  }
}

/** `rdc dns plan`: the records each machine needs against what Cloudflare holds; changes nothing. */
export async function planDns(o: DnsOptions): Promise<DnsPlanResult> {
  return (await buildPlan(o)).result
}

/** `rdc dns check`: the plan, and a DriftError (exit 9) when Cloudflare differs from it. */
export async function checkDns(o: DnsOptions): Promise<{result: DnsPlanResult; error?: RdcError}> {
  const {result} = await buildPlan(o)
  if (result.inSync) return {result}
  const c = result.counts
  const parts = [
    c.create && `${c.create} missing`,
    c.update && `${c.update} to change`,
    c.delete && `${c.delete} to remove`,
    c.conflict && `${c.conflict} held by other records`,
  ].filter(Boolean)
  return {
    result,
    error: new DriftError(`Cloudflare differs from the plan: ${parts.join(', ')}.`, {
      suggestion: `rdc dns apply ${result.machines.map((m) => m.machine).join(' ')}${c.conflict ? ' (names held by other records need --adopt)' : ''}${result.prune ? ' --prune' : ''}`,
    }),
  }
}

/**
 * `rdc dns apply`: makes the plan's changes (removals first, so a CNAME in the way is gone before its name gets
 * A/AAAA, then changes, then new records). Stops at the first refusal; the result says which changes were made.
 * Names held by records rdc did not make are left alone: a ConflictError (exit 8) names them.
 */
export async function applyDns(o: DnsOptions): Promise<{result: DnsApplyResult; error?: RdcError}> {
  const {result: plan, clientOf} = await buildPlan(o)
  const result: DnsApplyResult = {...plan, changed: 0}
  let error: RdcError | undefined
  for (const r of plan.records.filter((x) => x.action === 'delete' || x.action === 'update' || x.action === 'create')) {
    const client = clientOf.get(r)!
    const marker = ownerMarker(plan.context, r.machine!)
    const doing = `${r.action === 'delete' ? 'removing' : r.action === 'update' ? 'changing' : 'creating'} ${r.type} ${r.name}`
    o.progress?.(`${r.machine}: ${doing}`)
    try {
      if (r.action === 'delete') await client.deleteRecord(r.zoneId!, r.current!.id)
      else if (r.action === 'update') await client.updateRecord(r.zoneId!, r.current!.id, {content: r.content!, proxied: false, comment: marker})
      else await client.createRecord(r.zoneId!, {type: r.type, name: r.name, content: r.content!, ttl: RECORD_TTL, proxied: false, comment: marker})
      r.done = true
      result.changed++
    } catch (e) {
      const explained = explainCloudflareError(e, {doing, need: 'dns-edit', zone: r.zone, machine: r.machine, baseUrl: client.baseUrl})
      const made = result.changed === 0 ? 'No change was made' : `${result.changed} change${result.changed === 1 ? ' was' : 's were'} made before it`
      error = explained instanceof CloudflareError ? new CloudflareError(`${explained.message} ${made}.`, {...(explained.suggestion ? {suggestion: explained.suggestion} : {}), cause: e}) : explained
      break
    }
  }
  if (error === undefined && plan.counts.conflict > 0) {
    const held = plan.records.filter((r) => r.action === 'conflict')
    const names = [...new Set(held.map((r) => r.name))].sort()
    error = new ConflictError(`${names.length} name${names.length === 1 ? ' is' : 's are'} held by records rdc did not make for ${[...new Set(held.map((r) => r.machine))].join(', ')} and ${names.length === 1 ? 'was' : 'were'} left alone: ${names.join(', ')}.`, {
      suggestion: `Take them over with rdc dns apply ${plan.machines.map((m) => m.machine).join(' ')} --adopt, or remove those records in Cloudflare.`,
    })
  }
  if (error) result.error = {kind: error.kind, exitCode: error.exitCode, message: error.message, ...(error.suggestion ? {suggestion: error.suggestion} : {})}
  return {result, ...(error ? {error} : {})}
}
