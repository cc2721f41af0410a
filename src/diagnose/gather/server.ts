import type {HttpResult, ProbeReport, ProbeResult, ProbeSpec} from '../../renet/probe/types.js'
import {selectRoutes} from '../assemble.js'
import {resolveNames, wildcardProbeName} from '../dns.js'
import type {DnsAnswer, ExecFact, LocalFacts, RouteFacts, ServerFacts} from '../facts.js'
import {ParseError, parseRoutes, type RouteView} from '../parse/router.js'
import type {ExecTransport} from '../transport.js'
import {DEFAULT_ENDPOINTS, type ServerEndpoints} from './endpoints.js'
import {routeFactsFrom, secondRoundSpec} from './routes-spec.js'
import {FETCH, firstRoundScript, firstRoundSpec, parseSections, type Section} from './script.js'

export interface GatherOptions {
  transport: ExecTransport
  local: LocalFacts
  cliVersion: string
  /** The CLI's own renet bundle (dist/renet.cjs), run with `node -` when the server's renet is not this version. */
  loadBundle: () => Promise<Buffer>
  resolver?: string
  endpoints?: ServerEndpoints
  /** Per round trip. */
  timeoutMs?: number
}

export interface Gathered {
  server: ServerFacts
  routes: RouteFacts[]
  wildcards: DnsAnswer[]
  /** How the probes ran: the installed renet, or the CLI's bundle piped to node. */
  probeVia: 'renet' | 'bundle'
  roundTrips: number
}

const missing = (id: string, why: string): HttpResult => ({id, kind: 'http', outcome: 'error', error: why, durationMs: 0})

function execFact(s: Section | undefined): ExecFact {
  if (s === undefined) return {code: -1, stdout: '', stderr: 'not run'}
  return s.code === 0 ? {code: 0, stdout: s.output, stderr: ''} : {code: s.code, stdout: s.output, stderr: s.output}
}

function parseReport(text: string): ProbeResult[] {
  const report = JSON.parse(text) as ProbeReport
  if (!Array.isArray(report.results)) throw new ParseError('renet probe answered without results')
  return report.results
}

/** The installed `renet probe`'s report from the first round, when it ran and answered with a version. */
function installedProbe(section: Section | undefined): {version: string; results: ProbeResult[]} | undefined {
  if (section === undefined || section.code !== 0) return undefined
  try {
    const report = JSON.parse(section.output) as Partial<ProbeReport>
    if (typeof report.version !== 'string' || !Array.isArray(report.results)) return undefined
    return {version: report.version, results: report.results}
  } catch {
    return undefined
  }
}

/** Runs a probe spec with the CLI's bundle through `node -` (as root when sudo allows, for the Docker socket). */
async function probeWithBundle(o: GatherOptions, spec: ProbeSpec): Promise<ProbeResult[]> {
  const script = 'if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n node - "$@"; else exec node - "$@"; fi'
  const r = await o.transport.exec(['sh', '-c', script, 'sh', 'probe', '--json', JSON.stringify(spec)], {stdin: await o.loadBundle(), timeoutMs: o.timeoutMs ?? 10_000})
  if (r.code !== 0) throw new ParseError(`node - probe exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`)
  return parseReport(r.stdout)
}

async function probeWithRenet(o: GatherOptions, spec: ProbeSpec): Promise<ProbeResult[]> {
  const script = 'if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n renet "$@"; else exec renet "$@"; fi'
  const r = await o.transport.exec(['sh', '-c', script, 'sh', 'probe', '--json', JSON.stringify(spec)], {timeoutMs: o.timeoutMs ?? 10_000})
  if (r.code !== 0) throw new ParseError(`renet probe exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`)
  return parseReport(r.stdout)
}

/** Route names, plus one random sibling per parent domain (its answer reveals a wildcard record). */
function dnsNames(names: string[]): {names: string[]; siblings: string[]} {
  const siblings = [...new Set(names.filter((n) => n.split('.').length >= 3).map((n) => n.slice(n.indexOf('.') + 1)))].map((parent) => wildcardProbeName(`x.${parent}`))
  return {names, siblings}
}

/**
 * Two round trips over one connection: (1) a script that reads versions, the router unit, the socket table and,
 * through `renet probe`, the route server, Traefik and the proxy container; (2) one probe for the daemons and the
 * selected routes (backends, certificates, UDP), while DNS is asked locally at the same time.
 */
export async function gatherServer(o: GatherOptions): Promise<Gathered> {
  const endpoints = o.endpoints ?? DEFAULT_ENDPOINTS
  const r1 = await o.transport.exec(['bash', '-s'], {stdin: firstRoundScript(endpoints), timeoutMs: o.timeoutMs ?? 10_000})
  let roundTrips = 1
  const sections = parseSections(r1.stdout)
  const installed = installedProbe(sections.get('probe'))
  // The installed renet's results count only when it is this CLI's version (same checks, same result shapes).
  const probeVia: Gathered['probeVia'] = installed?.version === o.cliVersion ? 'renet' : 'bundle'
  let first: ProbeResult[]
  if (probeVia === 'renet') {
    first = installed!.results
  } else {
    first = await probeWithBundle(o, firstRoundSpec(endpoints))
    roundTrips++
  }
  const renetVersion: ExecFact = installed === undefined ? execFact(sections.get('renet-version')) : {code: 0, stdout: `${installed.version}\n`, stderr: ''}
  const fetched = new Map(first.filter((r): r is HttpResult => r.kind === 'http').map((r) => [r.id, r]))
  const fetch = (id: string): HttpResult => fetched.get(id) ?? missing(id, 'not fetched')

  const routesFetch = fetch(FETCH.routes)
  let routes: RouteView[] = []
  if (routesFetch.outcome === 'ok' && routesFetch.status === 200) {
    try {
      routes = selectRoutes(parseRoutes(routesFetch.body ?? ''), o.local)
    } catch (error) {
      if (!(error instanceof ParseError)) throw error
    }
  }
  const daemonSockets = (sections.get('daemon-sockets')?.output ?? '').split('\n').map((s) => s.trim()).filter((s) => s.startsWith('/'))
  const second = secondRoundSpec(routes, o.local.infra, daemonSockets, endpoints.daemonSocketDir, endpoints.httpsPort)
  const {names, siblings} = dnsNames(second.names)
  const [results, dns] = await Promise.all([
    probeVia === 'renet' ? probeWithRenet(o, second.spec) : probeWithBundle(o, second.spec),
    resolveNames([...names, ...siblings], {...(o.resolver === undefined ? {} : {resolver: o.resolver})}),
  ])
  roundTrips++
  const byId = new Map(results.map((r) => [r.id, r]))

  const server: ServerFacts = {
    cliVersion: o.cliVersion,
    renetVersion,
    routerUnit: execFact(sections.get('router-unit')),
    sockets: execFact(sections.get('ss')),
    health: fetch(FETCH.health),
    routes: routesFetch,
    proxy: fetch(FETCH.proxy),
    traefikPing: fetch(FETCH.ping),
    traefikEntryPoints: fetch(FETCH.entryPoints),
    traefikRouters: {http: fetch(FETCH.routers('http')), tcp: fetch(FETCH.routers('tcp')), udp: fetch(FETCH.routers('udp'))},
    daemons: daemonSockets.map((socket) => {
      const r = byId.get(`docker:${socket}`)
      return {socket, version: r?.kind === 'http' ? r : missing(`docker:${socket}`, 'not probed')}
    }),
    proxyLog: execFact(sections.get('proxy-log')),
  }
  return {
    server,
    routes: routeFactsFrom(routes, results, dns.slice(0, names.length)),
    wildcards: dns.slice(names.length),
    probeVia,
    roundTrips,
  }
}
