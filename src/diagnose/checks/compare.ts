import {ROUTER_URL} from '../../layout/server.js'
import {type EntryPoint, INTERNAL_ENTRY_POINT} from '../../net/entrypoints.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {canonicalIp} from '../ip.js'
import {proxyLogs, pushInfra, restartRouter} from '../fixes.js'
import type {RouteView} from '../parse/router.js'
import type {TraefikEntryPoint, TraefikRouter} from '../parse/traefik.js'

/** Traefik's own entry point for ping and the API; rdc does not list it among the machine's entry points. */
const INTERNAL_ENTRY_POINTS = new Set([INTERNAL_ENTRY_POINT, 'internal'])

/** The provider name Traefik gives routes from the route server (providers.http). */
export const ROUTER_PROVIDER = 'http'

export interface ThreeWay {
  /** What rdc intends: entryPointsFor(infra). */
  intended: EntryPoint[]
  /** What /routes.json serves; undefined when the route server did not answer. */
  served: RouteView[] | undefined
  /** What Traefik loaded (its API); undefined when the API did not answer. */
  loadedEntryPoints: TraefikEntryPoint[] | undefined
  loadedRouters: TraefikRouter[] | undefined
  /** The route server answers /health with a usable status. */
  routerHealthy: boolean
  /** Base domain: in the infra settings, and as the route server reports it (undefined = not known). */
  intendedBaseDomain?: string
  servedBaseDomain?: string | null
}

/** `[2001:DB8::1]:443` and `[2001:db8:0::1]:443` are one address; `/tcp` is Traefik's default. */
function normaliseAddress(address: string): string {
  const a = address.trim().toLowerCase().replace(/\/tcp$/, '')
  const m = /^(.*):(\d+(?:\/udp)?)$/.exec(a)
  return m ? `${m[1] === '' ? '' : canonicalIp(m[1]!)}:${m[2]}` : a
}

const key = (protocol: string, name: string): string => `${protocol}/${name}`

/**
 * The machine-level differences between rdc's intent, the route server and Traefik: entry points Traefik lacks or
 * still has, and routers Traefik keeps that the route server no longer serves (a stale configuration). Routers
 * the route server serves but Traefik dropped are reported per route by the route walk.
 */
export function checkThreeWay(t: ThreeWay, machine: string): Finding[] {
  const findings: Finding[] = []
  if (t.servedBaseDomain !== undefined && (t.servedBaseDomain ?? undefined) !== t.intendedBaseDomain) {
    findings.push(
      fail(
        'router',
        `the route server uses base domain ${t.servedBaseDomain ?? '(none)'}, the infra settings say ${t.intendedBaseDomain ?? '(none)'}: its settings are older than the context`,
        pushInfra(machine),
        {subject: 'router.yaml'},
      ),
    )
  }
  if (t.loadedEntryPoints === undefined || t.loadedRouters === undefined) {
    findings.push(fail('proxy', "Traefik's API on 127.0.0.1:8082 does not answer, so what it loaded cannot be compared", `${proxyLogs}; ${pushInfra(machine)}`, {subject: 'traefik-api'}))
    return findings
  }

  const loaded = new Map(t.loadedEntryPoints.map((e) => [e.name, e]))
  for (const ep of t.intended) {
    const have = loaded.get(ep.name)
    if (have === undefined) {
      findings.push(fail('entrypoint', `Traefik has no entry point ${ep.name} (${ep.address}): its static configuration is older than the infra settings`, pushInfra(machine), {subject: ep.name}))
    } else if (have.address !== undefined && have.address !== '' && normaliseAddress(have.address) !== normaliseAddress(ep.address)) {
      // A static configuration from before entry points bound specific addresses (`:5432`) takes the port on every
      // address, so services bound to their own 127.0.11.x on that port cannot start.
      findings.push(
        fail('entrypoint', `Traefik's entry point ${ep.name} listens on ${have.address}, the infra settings say ${ep.address}: its static configuration is older than the infra settings`, pushInfra(machine), {
          subject: ep.name,
        }),
      )
    }
  }
  const intendedNames = new Set(t.intended.map((e) => e.name))
  for (const e of t.loadedEntryPoints) {
    if (intendedNames.has(e.name) || INTERNAL_ENTRY_POINTS.has(e.name)) continue
    findings.push(warn('entrypoint', `Traefik still has entry point ${e.name} (${e.address}), which the infra settings no longer define`, pushInfra(machine), {subject: e.name}))
  }

  if (t.served !== undefined) {
    const served = new Set(t.served.map((r) => key(r.protocol, r.name)))
    for (const r of t.loadedRouters) {
      if (r.provider !== ROUTER_PROVIDER || served.has(key(r.protocol, r.name))) continue
      const detail = `Traefik still routes ${r.protocol} router ${r.name}${r.rule ? ` (${r.rule})` : ''}, which the route server no longer serves: a stale configuration`
      findings.push(
        t.routerHealthy
          ? warn('proxy', `${detail}; Traefik picks up changes every 5 s`, `re-run in a few seconds; if it stays, Traefik cannot read ${ROUTER_URL}/traefik: ${proxyLogs}`, {subject: r.name})
          : fail('proxy', `${detail}, while the route server is failing (Traefik keeps the last configuration it got)`, restartRouter, {subject: r.name}),
      )
    }
  }

  if (findings.length === 0) {
    const routers = t.loadedRouters.filter((r) => r.provider === ROUTER_PROVIDER).length
    findings.push(ok('proxy', `rdc, the route server and Traefik agree: ${t.intended.length} entry points, ${routers} routers`, {subject: 'traefik-api'}))
  }
  return findings
}
