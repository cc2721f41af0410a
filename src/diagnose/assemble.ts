import {entryPointsFor} from '../net/entrypoints.js'
import {checkLocal} from './checks/local.js'
import {checkThreeWay} from './checks/compare.js'
import {checkProxy} from './checks/proxy.js'
import {checkAskedHost, checkAskedRepo, walkRoute} from './checks/route.js'
import {checkRouter} from './checks/router.js'
import {checkSsh} from './checks/ssh.js'
import {checkVersions} from './checks/versions.js'
import type {DnsAnswer, LocalFacts, RouteFacts, ServerFacts, SshFacts} from './facts.js'
import {fail, warn, type Finding} from './finding.js'
import {pushInfra, restartRouter} from './fixes.js'
import {parseAcmeLog} from './parse/acme.js'
import {ParseError, parseRoutes, type Protocol, type RouteView} from './parse/router.js'
import {parseTraefikEntryPoints, parseTraefikRouters, type TraefikEntryPoint, type TraefikRouter} from './parse/traefik.js'
import {ROUTER_PROVIDER} from './checks/compare.js'

export interface MachineFacts {
  local: LocalFacts
  /** Absent when the walk stopped before connecting. */
  ssh?: SshFacts
  server?: ServerFacts
  /** One per route selected for the walk (see selectRoutes). */
  routes?: RouteFacts[]
  wildcards?: DnsAnswer[]
}

/** The routes a walk covers: those serving --host, those of --repo, else all. */
export function selectRoutes(routes: RouteView[], local: LocalFacts): RouteView[] {
  const host = local.askedHost?.toLowerCase()
  const repo = local.askedRepo
  return routes.filter((r) => (host === undefined || r.hosts.includes(host)) && (repo === undefined || r.networkId === repo.networkId))
}

/** /routes.json parsed, or the finding that says why it could not be. */
export function servedRoutes(server: ServerFacts, machine: string): RouteView[] | Finding {
  const r = server.routes
  if (r.outcome === 'ok' && r.status === 503) {
    // Before its first complete discovery the route server has no routes to show; Traefik keeps its last ones.
    return warn('router', '/routes.json is not ready (503): the route server is still starting', 'wait a few seconds and re-run', {subject: 'rediacc-router'})
  }
  if (r.outcome !== 'ok' || r.status !== 200) {
    return fail('router', `/routes.json does not answer (${r.outcome === 'ok' ? `HTTP ${r.status}` : (r.error ?? r.outcome)})`, restartRouter, {subject: 'rediacc-router'})
  }
  try {
    return parseRoutes(r.body ?? '')
  } catch (error) {
    if (!(error instanceof ParseError)) throw error
    return fail('router', error.message, `${restartRouter}; if it persists, ${pushInfra(machine)}`, {subject: 'rediacc-router'})
  }
}

function traefikView(server: ServerFacts): {entryPoints?: TraefikEntryPoint[]; routers?: TraefikRouter[]} {
  try {
    const ep = server.traefikEntryPoints
    if (ep.outcome !== 'ok' || ep.status !== 200) return {}
    const routers: TraefikRouter[] = []
    for (const p of ['http', 'tcp', 'udp'] as Protocol[]) {
      const r = server.traefikRouters[p]
      if (r.outcome !== 'ok' || r.status !== 200) return {}
      routers.push(...parseTraefikRouters(p, r.body ?? ''))
    }
    return {entryPoints: parseTraefikEntryPoints(ep.body ?? ''), routers}
  } catch (error) {
    if (error instanceof ParseError) return {}
    throw error
  }
}

function withRepository(r: RouteView, names: ReadonlyMap<number, string>): RouteView {
  const name = r.networkId === undefined ? undefined : names.get(r.networkId)
  return name === undefined || r.repository !== undefined ? r : {...r, repository: name}
}

/** Every check of one machine, in the order of the hops, from the facts gathered for it. */
export function diagnoseFacts(f: MachineFacts, now: Date): Finding[] {
  const {local} = f
  const machine = local.machine
  const findings: Finding[] = [...checkLocal(local)]
  if (f.ssh === undefined) return findings
  const ssh = checkSsh(f.ssh, machine)
  findings.push(ssh)
  if (ssh.status === 'fail' || f.server === undefined) return findings

  const server = f.server
  const repoNames = new Map((local.repositories ?? []).map((r) => [r.networkId, r.name]))
  const router = checkRouter(server, machine, repoNames, local.infra)
  findings.push(...checkVersions(server, machine, router.health), ...router.findings)
  findings.push(...checkProxy(server, local.infra, machine))

  const intended = entryPointsFor(local.infra)
  const served = router.answering ? servedRoutes(server, machine) : undefined
  if (served !== undefined && !Array.isArray(served)) findings.push(served)
  const routes = Array.isArray(served) ? served.map((r) => withRepository(r, repoNames)) : undefined
  const view = traefikView(server)
  findings.push(
    ...checkThreeWay(
      {
        intended,
        served: routes,
        loadedEntryPoints: view.entryPoints,
        loadedRouters: view.routers,
        routerHealthy: router.answering && !router.findings.some((x) => x.hop === 'router' && x.status === 'fail'),
        ...(local.infra.baseDomain === undefined ? {} : {intendedBaseDomain: local.infra.baseDomain}),
        ...(router.health?.baseDomain === undefined ? {} : {servedBaseDomain: router.health.baseDomain}),
      },
      machine,
    ),
  )
  if (routes === undefined) return findings

  if (local.askedHost !== undefined) {
    const missing = checkAskedHost(local.askedHost, routes, local.infra, router.health)
    if (missing) findings.push(missing)
  }
  if (local.askedRepo !== undefined) findings.push(checkAskedRepo(local.askedRepo, routes))

  const acme = server.proxyLog === undefined ? undefined : parseAcmeLog(server.proxyLog.stdout)
  for (const given of f.routes ?? []) {
    const rf = {...given, route: withRepository(given.route, repoNames)}
    const t =
      view.routers === undefined
        ? null
        : view.routers.find((r) => r.provider === ROUTER_PROVIDER && r.protocol === rf.route.protocol && r.name === rf.route.name)
    findings.push(...walkRoute({facts: rf, traefik: t, intended, infra: local.infra, machine, wildcards: f.wildcards, now, ...(acme === undefined ? {} : {acme})}))
  }
  return findings
}
