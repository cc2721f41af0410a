/**
 * `rdc repo up` after the deploy: what the route server made of this repository's containers. The route server
 * learns of new containers from Docker's events a moment after the up steps return, so its reports are read
 * until every running container of the repository is in them (as a route, a refusal or a skipped container,
 * matched by container id, so a recreated container is not mistaken for the one it replaced), or the wait runs
 * out. With `waitHttps`, each HTTPS hostname of the repository is then probed from the server through Traefik
 * until it is served a certificate for that name that verifies against the machine's ACME CA.
 */
import {verifyChain, type AcmeTrust} from '../diagnose/checks/chain.js'
import {hostsOfRule} from '../diagnose/parse/router.js'
import type {ProbeReport, TlsResult} from '../renet/probe/types.js'
import type {HealthReport, RouteEntry, RoutesReport} from '../renet/router/types.js'
import type {Transport} from '../remote/transport.js'
import type {RepoTarget} from './repositories.js'
import {routerHealthStep, routerSilent, routesStep} from './steps.js'

export interface RoutedEntry {
  container: string
  protocol: 'http' | 'tcp' | 'udp'
  /** Router name as written in the labels (or the automatic name). */
  router: string
  rule: string | null
  hosts: string[]
  entryPoints: string[]
  backends: string[]
  source: 'auto' | 'labels'
}

export interface RoutingProblem {
  container: string
  /** Router, service or middleware concerned; absent when the whole container is concerned. */
  object?: string
  /** The route server's refusal kind, or `skipped`. */
  kind: string
  reason: string
  fix: string
}

export interface HttpsHost {
  name: string
  /** `valid`: served a certificate for the name that verifies; `pending`: not (yet) when the wait ended. */
  status: 'valid' | 'pending'
  /** What was last served (or why nothing was). */
  detail: string
  waitedMs: number
}

export interface RoutingReport {
  /** This repository's routes, as the route server serves them to Traefik. */
  routes: RoutedEntry[]
  /** Refused routers/services/middlewares and skipped containers of this repository, with reason and fix. */
  problems: RoutingProblem[]
  /** Containers with traefik.enable=false: not routed, on purpose. */
  disabled: string[]
  /** Containers with traefik.enable=true that got no route at all. */
  unrouted: string[]
  /** Running containers the route server had not reported on when the wait ended. */
  notSeen: string[]
  waitedMs: number
  /** Set when the route server could not be read (routes then unknown, not absent). */
  error?: string
  https?: {hosts: HttpsHost[]; waitedMs: number; ok: boolean}
}

export interface RoutingOptions {
  target: RepoTarget
  connect: () => Promise<Transport>
  /** Longest wait for the route server to report on every running container (default 20 s). */
  waitMs?: number
  /** Wait for a valid certificate on each HTTPS hostname, at most this long (ms). */
  waitHttpsMs?: number
  progress?: (line: string) => void
  sleep?: (ms: number) => Promise<void>
}

const DISABLED_REASON = 'traefik.enable=false: not routed'

const FIXES: Record<string, string> = {
  'foreign-hostname': 'use a hostname no other repository routes (each name belongs to the repository that claimed it first)',
  'foreign-backend': 'let the route server point the backend at the container: set loadbalancer.server.port (and .scheme), not an address or URL; forwardAuth only to this repository’s service IPs',
  'foreign-reference': 'refer only to routers, services and middlewares of this repository (no name@provider)',
  'unknown-entrypoint': 'use an entry point that exists on the machine (rdc context show-infra), or add the port: rdc context set-infra <machine> --tcp-ports/--udp-ports … && rdc context push-infra <machine>',
  'udp-entrypoint-taken': 'Traefik uses one UDP router per entry point: pick another UDP port, or leave the entry point out for a dynamic one',
  'network-mismatch': 'start the container with renet compose in its own repository (rdc repo up), not by hand',
  'ports-exhausted': 'widen the dynamic port range or name an entry point: rdc context set-infra … && rdc context push-infra',
  'name-conflict': 'give the router/service/middleware a name of its own in this repository, or define it the same way in every container',
  'global-tls': 'traefik.tls.* labels apply to every repository and are ignored; set TLS per router (tls.certresolver, tls.domains)',
  'unrestricted-rule': 'limit the rule to Host(`…`) names (optionally && PathPrefix(…)); HostRegexp, !Host and || without Host are refused',
  'invalid-hostname': 'write the hostname as a DNS name (letters, digits, hyphens, dots)',
  'shared-entrypoint': 'TCP routers on web/websecure need tls and HostSNI(`name`); use a tcp-<port> entry point for anything else',
}

function fixFor(kind: string, reason: string): string {
  if (kind !== 'skipped') return FIXES[kind] ?? 'see rdc diagnose'
  if (reason.startsWith('labels cannot be decoded')) return 'fix the label named: Traefik skips a container whose labels do not decode, and so does the route server'
  if (reason.startsWith('health:')) return 'the container’s health check must pass first (docker inspect shows why it does not)'
  if (reason.includes('renet compose') || reason.includes('rediacc.service_ip')) return 'start it from the Rediaccfile with renet compose'
  if (reason.includes('port')) return 'set loadbalancer.server.port, or rediacc.service_port / rediacc.tcp_ports'
  if (reason.includes('baseDomain')) return 'give the machine a base domain (rdc context set-infra --base-domain) or write a Host() rule'
  return 'see rdc diagnose'
}

interface Running {
  id: string
  name: string
  /** traefik.enable as Go reads it: true, false, or absent/unreadable (null). */
  enable: boolean | null
}

/** Go's strconv.ParseBool, as Traefik reads traefik.enable. */
function goBool(value: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false
  return null
}

async function running(t: Transport, target: RepoTarget): Promise<Running[]> {
  const format = '{{.ID}}\t{{.Names}}\t{{.Label "traefik.enable"}}'
  const r = await t.exec(['docker', '-H', target.location.dockerHost, 'ps', '--no-trunc', '--format', format], {timeoutMs: 30_000})
  if (r.code !== 0) return []
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [id = '', name = '', enable = ''] = l.split('\t')
      return {id, name, enable: enable === '' ? null : goBool(enable)}
    })
}

interface RouterView {
  routes: RouteEntry[]
  health: HealthReport | null
  error?: string
}

async function routerView(t: Transport): Promise<RouterView> {
  const routes = await t.exec(routesStep().argv, {timeoutMs: routesStep().timeoutMs})
  const health = await t.exec(routerHealthStep().argv, {timeoutMs: routerHealthStep().timeoutMs})
  let parsedHealth: HealthReport | null = null
  try {
    // /health answers 503 with its body while starting: only the body counts.
    parsedHealth = JSON.parse(health.stdout) as HealthReport
  } catch {}

  if (routes.code !== 0) return {routes: [], health: parsedHealth, error: routerSilent(routes)}
  try {
    return {routes: (JSON.parse(routes.stdout) as RoutesReport).routes ?? [], health: parsedHealth}
  } catch {
    return {routes: [], health: parsedHealth, error: 'the route server answered /routes.json with something other than JSON'}
  }
}

/** What the route server says about these containers; `seen` are the ids (or names, from an older server) it reports. */
function summarize(view: RouterView, containers: Running[], networkId: number): Omit<RoutingReport, 'waitedMs' | 'notSeen'> & {notSeen: string[]} {
  const ids = new Set(containers.map((c) => c.id))
  const names = new Set(containers.map((c) => c.name))
  const mine = (x: {networkId: number; container: string; containerId?: string}) =>
    x.networkId === networkId && (x.containerId === undefined ? names.has(x.container) : ids.has(x.containerId))
  const seen = new Set<string>()
  const mark = (x: {container: string; containerId?: string}) => {
    seen.add(x.containerId ?? x.container)
  }

  const routes: RoutedEntry[] = []
  for (const r of view.routes.filter(mine)) {
    mark(r)
    routes.push({container: r.container, protocol: r.protocol, router: r.labelName, rule: r.rule, hosts: hostsOfRule(r.rule ?? undefined), entryPoints: r.entryPoints, backends: r.backends, source: r.source})
  }

  const problems: RoutingProblem[] = []
  const disabled: string[] = []
  for (const r of (view.health?.refusals ?? []).filter(mine)) {
    mark(r)
    problems.push({container: r.container, ...(r.object === undefined ? {} : {object: r.object}), kind: r.kind, reason: r.reason, fix: fixFor(r.kind, r.reason)})
  }

  for (const s of (view.health?.skipped ?? []).filter(mine)) {
    mark(s)
    if (s.reason === DISABLED_REASON) disabled.push(s.container)
    else problems.push({container: s.container, kind: 'skipped', reason: s.reason, fix: fixFor('skipped', s.reason)})
  }

  const routed = new Set(routes.map((r) => r.container))
  const notSeen = containers.filter((c) => !seen.has(c.id) && !seen.has(c.name)).map((c) => c.name)
  // Containers that explicitly say false are never routed, whatever an older route server did with them.
  for (const c of containers) if (c.enable === false && !disabled.includes(c.name) && !routed.has(c.name)) disabled.push(c.name)
  const unrouted = containers.filter((c) => c.enable === true && !routed.has(c.name) && !notSeen.includes(c.name)).map((c) => c.name)
  const sort = (a: {container: string}, b: {container: string}) => a.container.localeCompare(b.container)
  return {
    routes: routes.sort((a, b) => sort(a, b) || a.router.localeCompare(b.router)),
    problems: problems.sort(sort),
    disabled: disabled.sort(),
    unrouted: [...unrouted, ...containers.filter((c) => c.enable === true && notSeen.includes(c.name)).map((c) => c.name)].sort(),
    notSeen: notSeen.sort(),
    ...(view.error === undefined ? {} : {error: view.error}),
  }
}

/** The HTTPS hostnames of the routes: http routers on websecure(-v6) with Host() names. */
export function httpsHostnames(routes: RoutedEntry[]): string[] {
  const names = new Set<string>()
  for (const r of routes) if (r.protocol === 'http' && r.entryPoints.some((e) => e === 'websecure' || e.startsWith('websecure-'))) for (const h of r.hosts) names.add(h)
  return [...names].sort()
}

function certVerdict(result: TlsResult | undefined, trust: AcmeTrust): {valid: boolean; detail: string} {
  if (result === undefined) return {valid: false, detail: 'not probed'}
  if (result.outcome !== 'ok' || result.cert === undefined) return {valid: false, detail: `TLS ${result.outcome}${result.error ? `: ${result.error}` : ''}`}
  const c = result.cert
  if (c.traefikDefault) return {valid: false, detail: 'Traefik serves its default certificate (none issued for the name yet)'}
  if (!c.matchesName) return {valid: false, detail: `the certificate served is for ${c.sans.join(', ') || c.subjectCN}`}
  const v = verifyChain(result.chain ?? [], trust, new Date())
  if (v.status === 'failed') return {valid: false, detail: `the chain does not verify: ${v.reason}`}
  return {valid: true, detail: `issued by ${c.issuerCN}, valid until ${c.notAfter}`}
}

async function probeTls(t: Transport, addresses: string[], names: string[]): Promise<Map<string, TlsResult[]>> {
  const checks = names.flatMap((name) => addresses.map((host) => ({id: `${name}@${host}`, kind: 'tls' as const, host, port: 443, servername: name})))
  const script = 'if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n renet "$@"; else exec renet "$@"; fi'
  const r = await t.exec(['sh', '-c', script, 'sh', 'probe', '--json', JSON.stringify({timeoutMs: 3000, checks})], {timeoutMs: 30_000})
  const out = new Map<string, TlsResult[]>()
  if (r.code !== 0) return out
  const report = JSON.parse(r.stdout) as ProbeReport
  for (const result of report.results) {
    if (result.kind !== 'tls') continue
    const name = result.id.slice(0, result.id.lastIndexOf('@'))
    out.set(name, [...(out.get(name) ?? []), result])
  }

  return out
}

async function waitHttps(t: Transport, o: RoutingOptions, names: string[], waitMs: number, sleep: (ms: number) => Promise<void>): Promise<NonNullable<RoutingReport['https']>> {
  const {machine} = o.target
  const infra = machine.infra ?? {}
  // Where the HTTPS entry points bind (as diagnose probes them); the SSH address when no public one is set.
  const addresses = [infra.publicIPv4, infra.publicIPv6].filter((x): x is string => x !== undefined)
  if (addresses.length === 0) addresses.push(machine.host)
  const trust: AcmeTrust = {acmeCaServer: infra.acmeCaServer, acmeCaCertificates: infra.acmeCaCertificates}
  const started = Date.now()
  const hosts = new Map<string, HttpsHost>(names.map((name) => [name, {name, status: 'pending', detail: 'not probed yet', waitedMs: 0}]))
  o.progress?.(`${o.target.machineName}: waiting up to ${Math.round(waitMs / 1000)} s for a valid certificate on ${names.join(', ')}`)
  for (;;) {
    const pending = [...hosts.values()].filter((h) => h.status === 'pending').map((h) => h.name)
    if (pending.length === 0) break
    const results = await probeTls(t, addresses, pending)
    for (const name of pending) {
      const verdicts = addresses.map((a) => certVerdict(results.get(name)?.find((r) => r.id === `${name}@${a}`), trust))
      const bad = verdicts.find((v) => !v.valid)
      const h = hosts.get(name)!
      h.detail = (bad ?? verdicts[0]!).detail
      h.waitedMs = Date.now() - started
      if (bad === undefined) {
        h.status = 'valid'
        o.progress?.(`${o.target.machineName}: ${name}: certificate valid after ${(h.waitedMs / 1000).toFixed(1)} s`)
      }
    }

    if (Date.now() - started >= waitMs) break
    if ([...hosts.values()].some((h) => h.status === 'pending')) await sleep(2000)
  }

  const list = [...hosts.values()]
  return {hosts: list, waitedMs: Date.now() - started, ok: list.every((h) => h.status === 'valid')}
}

export async function routingAfterUp(o: RoutingOptions): Promise<RoutingReport> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const waitMs = o.waitMs ?? 20_000
  const {networkId} = o.target.location
  const t = await o.connect()
  try {
    const started = Date.now()
    let summary: ReturnType<typeof summarize>
    for (;;) {
      const containers = await running(t, o.target)
      const view = await routerView(t)
      const starting = view.health?.status === 'starting'
      summary = summarize(view, containers, networkId)
      if (summary.notSeen.length === 0 && !starting && view.error === undefined) break
      if (Date.now() - started >= waitMs) break
      await sleep(500)
    }

    const report: RoutingReport = {...summary, waitedMs: Date.now() - started}
    if (o.waitHttpsMs !== undefined) {
      const names = httpsHostnames(report.routes)
      report.https = names.length === 0 ? {hosts: [], waitedMs: 0, ok: true} : await waitHttps(t, o, names, o.waitHttpsMs, sleep)
    }

    return report
  } finally {
    await t.close().catch(() => undefined)
  }
}
