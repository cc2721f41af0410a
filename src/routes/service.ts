/**
 * `rdc routes`: every route a machine's route server serves (as Traefik gets it), one row per hostname or entry
 * point, with the repository and container behind it and, for HTTPS names, the certificate the proxy serves
 * for that name (read on the server with `renet probe`, as diagnose reads it).
 */
import type {Context} from '../config/schema.js'
import {suggestName} from '../config/did-you-mean.js'
import {runChecked} from '../remote/step.js'
import {ParseError, parseRoutes, type RouteView} from '../diagnose/parse/router.js'
import {NotFoundError, RdcError, RemoteError, UsageError} from '../errors.js'
import type {ProbeReport, TlsResult} from '../renet/probe/types.js'
import type {Transport} from '../remote/transport.js'
import {certificatesStep, routesStep} from './steps.js'

const DAY = 86_400_000
/** As src/diagnose/checks/tls.ts's RENEWAL_OVERDUE_DAYS (not imported: that module brings the chain checks). */
export const RENEWAL_OVERDUE_DAYS = 14

export interface CertificateView {
  /** ok: a certificate for the name; default: Traefik's own (none issued yet); mismatch: one that does not cover it. */
  status: 'ok' | 'default' | 'mismatch' | 'unreachable'
  issuer?: string
  notAfter?: string
  daysLeft?: number
  /** Under 14 days left: Let's Encrypt renews at 30, so renewal is failing (rdc diagnose warns too). */
  renewalOverdue?: boolean
  error?: string
}

export interface RouteRow {
  machine: string
  protocol: 'http' | 'tcp' | 'udp'
  /** The hostname, or for a route without one (TCP HostSNI(`*`), UDP) its entry points. */
  host: string | null
  entryPoints: string[]
  backends: string[]
  repository: string | null
  networkId: number | null
  container: string | null
  /** auto: the automatic route of rediacc.* labels; labels: traefik.* labels. */
  tier: string | null
  router: string
  certificate?: CertificateView
}

export interface RoutesResult {
  machines: Array<{machine: string; routes: number; error?: string}>
  routes: RouteRow[]
}

/** Which machines: those given (each must exist), else every machine of the context. */
export function machinesFor(context: Context, given: readonly string[]): string[] {
  const known = Object.keys(context.machines)
  const names = given.length > 0 ? [...new Set(given)] : known
  if (names.length === 0) throw new UsageError('The context has no machines.', {field: 'machine', suggestion: 'Add one: rdc context add-machine <name> --host <address> --user <user>'})
  for (const n of names) {
    if (!context.machines[n]) throw new NotFoundError(`No machine named "${n}" in the context.`, {suggestion: suggestName(n, known, 'machine', 'List them: rdc context machines')})
  }

  return names
}

function servesTls(r: RouteView): boolean {
  return r.entryPoints.some((e) => e === 'websecure' || e === 'websecure-v6') && (r.protocol === 'http' || r.protocol === 'tcp')
}

export function certificateView(result: TlsResult | undefined, now: Date): CertificateView {
  if (!result || result.outcome !== 'ok' || !result.cert) return {status: 'unreachable', error: result?.error ?? result?.outcome ?? 'not probed'}
  const c = result.cert
  const issuer = (c.issuerO ? `${c.issuerO} ${c.issuerCN}` : c.issuerCN).trim()
  const view = {issuer, notAfter: c.notAfter, daysLeft: Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY)}
  if (c.traefikDefault) return {status: 'default', ...view}
  if (!c.matchesName) return {status: 'mismatch', ...view}
  return {status: 'ok', ...view, ...(view.daysLeft < RENEWAL_OVERDUE_DAYS ? {renewalOverdue: true} : {})}
}

/** Rows of one machine's routes; names of repositories from the context by network id. */
export function routeRows(machine: string, routes: readonly RouteView[], repoByNetwork: ReadonlyMap<number, string>): RouteRow[] {
  return routes.flatMap((r): RouteRow[] => {
    const base = {
      machine,
      protocol: r.protocol,
      entryPoints: r.entryPoints,
      backends: r.backends,
      repository: r.networkId === undefined ? null : (repoByNetwork.get(r.networkId) ?? null),
      networkId: r.networkId ?? null,
      container: r.container ?? null,
      tier: r.source ?? null,
      router: r.name,
    }
    return r.hosts.length > 0 ? r.hosts.map((host) => ({...base, host})) : [{...base, host: null}]
  })
}

/** One machine: /routes.json, then the certificate of every HTTPS name in one probe. */
export async function machineRoutes(t: Transport, o: {machine: string; context: Context; now?: Date}): Promise<RouteRow[]> {
  const read = await runChecked(t, routesStep(), o.machine, 'Reading the routes (/routes.json)', `Set the machine up, or see what is wrong: rdc diagnose -m ${o.machine}`)
  let routes: RouteView[]
  try {
    routes = parseRoutes(read.stdout)
  } catch (error) {
    if (!(error instanceof ParseError)) throw error
    throw new RemoteError(`The route server on ${o.machine} answered /routes.json with something rdc cannot read: ${error.message}.`, {host: o.machine}, {suggestion: `rdc context push-infra ${o.machine}`})
  }

  const repoByNetwork = new Map(Object.entries(o.context.repositories).filter(([, r]) => r.machine === o.machine).map(([name, r]) => [r.networkId, name] as const))
  const rows = routeRows(o.machine, routes, repoByNetwork)
  const infra = o.context.machines[o.machine]?.infra
  const address = infra?.publicIPv4 ?? infra?.publicIPv6
  const names = [...new Set(routes.filter((r) => servesTls(r)).flatMap((r) => r.hosts))].sort()
  if (address === undefined || names.length === 0) return rows
  const probe = await runChecked(t, certificatesStep(names, address), o.machine, 'Reading the certificates the proxy serves', `Bring renet to this CLI's version: rdc context push-infra ${o.machine}`)
  const results = new Map((JSON.parse(probe.stdout) as ProbeReport).results.map((r) => [r.id, r]))
  const now = o.now ?? new Date()
  const tlsNames = new Set(names)
  for (const row of rows) {
    if (row.host === null || !tlsNames.has(row.host) || !row.entryPoints.some((e) => e === 'websecure' || e === 'websecure-v6')) continue
    row.certificate = certificateView(results.get(`tls:${row.host}`) as TlsResult | undefined, now)
  }

  return rows
}

/** Every machine, one connection each, in parallel; a machine that cannot be read is reported, the others still are. */
export async function listRoutes(o: {context: Context; machines: string[]; connect: (machine: string) => Promise<Transport>; now?: Date}): Promise<{result: RoutesResult; errors: RdcError[]}> {
  const errors: RdcError[] = []
  const perMachine = await Promise.all(
    o.machines.map(async (machine) => {
      try {
        const t = await o.connect(machine)
        try {
          return {machine, rows: await machineRoutes(t, {machine, context: o.context, ...(o.now ? {now: o.now} : {})})}
        } finally {
          await t.close()
        }
      } catch (error) {
        errors.push(error instanceof RdcError ? error : new RemoteError(`Listing the routes of ${machine} failed: ${(error as Error).message}`, {host: machine}, {cause: error}))
        return {machine, rows: [] as RouteRow[], error: (error as Error).message}
      }
    }),
  )
  return {
    result: {machines: perMachine.map((m) => ({machine: m.machine, routes: m.rows.length, ...(m.error ? {error: m.error} : {})})), routes: perMachine.flatMap((m) => m.rows)},
    errors,
  }
}
