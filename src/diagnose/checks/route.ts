import {IPV6_SUFFIX, type EntryPoint} from '../../net/entrypoints.js'
import {serviceIpVar} from '../../net/network.js'
import type {ProbeResult} from '../../renet/probe/types.js'
import type {DnsAnswer, InfraView, RouteFacts} from '../facts.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {daemonPs, proxyLogs, pushInfra, setTcpPorts, setUdpPorts} from '../fixes.js'
import type {AcmeLog} from '../parse/acme.js'
import type {RouteView, RouterHealth} from '../parse/router.js'
import type {TraefikRouter} from '../parse/traefik.js'
import {checkDns} from './dns.js'
import {checkRelay} from './relay.js'
import {checkTls} from './tls.js'

export interface RouteWalkInput {
  facts: RouteFacts
  /** Traefik's view of this router: undefined = not loaded; null = Traefik's API did not answer. */
  traefik: TraefikRouter | undefined | null
  intended: EntryPoint[]
  infra: InfraView
  machine: string
  /** Answers for a random sibling of each hostname, to tell wildcard answers apart. */
  wildcards?: DnsAnswer[]
  now: Date
  /** ACME errors from the proxy's log, attached to certificates that were not issued or renewed. */
  acme?: AcmeLog
}

/** `http://127.0.11.2:8080` or `127.0.11.2:5432` → {ip, port}. */
export function backendAddress(backend: string): {ip: string; port: number} | undefined {
  const m = /^(?:[a-z]+:\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)/i.exec(backend)
  return m ? {ip: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2])} : undefined
}

function label(route: RouteView): string {
  return route.hosts[0] ?? `${route.protocol} router ${route.name}`
}

function portHop(route: RouteView, intended: EntryPoint[], infra: InfraView, machine: string): Finding | undefined {
  const names = new Set(intended.map((e) => e.name))
  for (const ep of route.entryPoints) {
    if (names.has(ep)) continue
    const m = /^(tcp|udp)-(\d+)(-v6)?$/.exec(ep)
    const subject = label(route)
    if (m?.[3] !== undefined && names.has(ep.slice(0, -IPV6_SUFFIX.length))) {
      // The port is registered; only its IPv6 twin is missing, which exists on dual-stack machines.
      return fail('port', `entry point ${ep} does not exist: the machine is not dual-stack (IPv6 twins exist only with both a public IPv4 and IPv6)`, `write the entry point without ${IPV6_SUFFIX} (rdc adds the IPv6 twin itself), or rdc context set-infra ${machine} --public-ipv6 <address> && ${pushInfra(machine)}`, {subject})
    }
    if (m) {
      const port = Number(m[2])
      const detail = `${m[1]!.toUpperCase()} port ${port} is not registered in the infra settings, so entry point ${ep} does not exist: the port is unreachable`
      const fix = m[1] === 'tcp' ? setTcpPorts(machine, [...(infra.tcpPorts ?? []), port]) : setUdpPorts(machine, [...(infra.udpPorts ?? []), port])
      return fail('port', detail, fix, {subject})
    }
    if (ep === 'web-v6' && names.has('web')) {
      return fail('port', 'entry point web-v6 does not exist: the machine is not dual-stack', `use web (rdc adds the IPv6 twin itself on dual-stack machines), or rdc context set-infra ${machine} --public-ipv6 <address> && ${pushInfra(machine)}`, {subject})
    }
    if (ep === 'websecure-v6' || ep === 'websecure') {
      const flag = ep === 'websecure' ? '--public-ipv4' : '--public-ipv6'
      return fail('port', `entry point ${ep} does not exist: the machine has no ${ep === 'websecure' ? 'IPv4' : 'IPv6'} address set`, `rdc context set-infra ${machine} ${flag} <address> && ${pushInfra(machine)}, or drop ${ep} from the router's entrypoints`, {subject})
    }
    return fail('port', `entry point ${ep} does not exist on this machine`, `use one of: ${[...names].slice(0, 4).join(', ')}, …`, {subject})
  }
  return undefined
}

function traefikHop(route: RouteView, t: TraefikRouter | undefined | null): Finding | undefined {
  const subject = label(route)
  if (t === null) return undefined
  if (t === undefined) {
    return fail('route', `Traefik dropped ${route.protocol} router ${route.name}: the route server serves it but Traefik did not load it`, `find the reason: ${proxyLogs} 2>&1 | grep -i '${route.name}'`, {subject})
  }
  if (t.status === 'disabled') {
    return fail('route', `Traefik disabled router ${route.name}: ${t.errors.join('; ') || 'no error given'}`, `fix the router's labels (rule, entrypoints, tls) and redeploy; details: ${proxyLogs}`, {subject})
  }
  if (t.status === 'warning') {
    return warn('route', `Traefik loaded router ${route.name} with warnings: ${t.errors.join('; ')}`, 'fix the router labels it names', {subject})
  }
  return ok('route', `loaded by Traefik as ${route.protocol} router ${route.name} on ${t.entryPoints.join(', ') || route.entryPoints.join(', ')}`, {subject})
}

function backendHop(route: RouteView, result: ProbeResult, backend: string): Finding {
  const subject = label(route)
  const addr = backendAddress(backend)
  const where = addr ? `${addr.ip}:${addr.port}` : backend
  const ipVar = (route.composeService && serviceIpVar(route.composeService)) ?? '{SERVICE}_IP'
  const portLabel = route.protocol === 'http' ? `traefik.http.services.<name>.loadbalancer.server.port` : `traefik.${route.protocol}.services.<name>.loadbalancer.server.port`
  const fix =
    `make the app listen on \${${ipVar}}:${addr?.port ?? '<port>'} (bind to ${ipVar}, not 127.0.0.1 or localhost) and keep ${portLabel}=${addr?.port ?? '<port>'} ` +
    `equal to the port it listens on; is it running? ${daemonPs(route.networkId)}`
  const base = {subject, durationMs: result.durationMs}
  if (result.outcome === 'ok' && result.kind === 'http' && result.status !== undefined && result.status >= 500) {
    return warn('backend', `${where} answers, but with HTTP ${result.status} (the app's own error, passed through by Traefik)`, `see the app's logs: ${daemonPs(route.networkId).replace(/ ps$/, ' logs <container>')}`, base)
  }
  if (result.outcome === 'ok') return ok('backend', `${where} answers${result.kind === 'http' && result.status !== undefined ? ` HTTP ${result.status}` : ''}${route.composeService ? ` (${route.composeService})` : ''}`, base)
  if (result.outcome === 'refused') {
    const cause = route.protocol === 'http' ? '502 Bad Gateway: ' : ''
    return fail('backend', `${cause}nothing listens on ${where}${route.protocol === 'udp' ? '/udp' : ''} (connection refused)`, fix, base)
  }
  if (result.outcome === 'timeout' && result.kind === 'udp') {
    return warn('backend', `no reply from ${where}/udp to a ${route.entryPoints.join(',')} probe`, `check the service answers on ${where}/udp; ${daemonPs(route.networkId)}`, base)
  }
  const cause = route.protocol === 'http' ? '504/502 from Traefik: ' : ''
  return fail('backend', `${cause}${where} does not answer (${result.error ?? result.outcome})`, fix, base)
}

/** The compose service of the route's container (rediacc.service_name), which names its `{SERVICE}_IP`. */
function withService(route: RouteView, facts: RouteFacts): RouteView {
  const service = route.composeService ?? facts.container?.labels?.['rediacc.service_name']
  return service === undefined ? route : {...route, composeService: service}
}

/**
 * Walks one route from the proxy to the container, DNS and certificate; detail stops at the first failing hop
 * (later hops are not reported, since they cannot be judged through a broken one).
 */
export function walkRoute(input: RouteWalkInput): Finding[] {
  const {facts, infra, machine} = input
  const route = facts.route
  const findings: Finding[] = []
  const add = (f: Finding | undefined): boolean => {
    if (f) findings.push(f)
    return f?.status === 'fail'
  }

  if (add(portHop(route, input.intended, infra, machine))) return findings
  if (add(traefikHop(route, input.traefik))) return findings
  for (const {backend, result} of facts.backends) {
    if (add(backendHop(withService(route, facts), result, backend))) return findings
  }
  for (const answer of facts.dns) {
    const wildcard = input.wildcards?.find((w) => w.name.slice(w.name.indexOf('.') + 1) === answer.name.slice(answer.name.indexOf('.') + 1))
    if (add(checkDns(answer, infra, wildcard))) return findings
  }
  const name = route.hosts[0]
  const trust = {
    ...(infra.acmeCaServer === undefined ? {} : {acmeCaServer: infra.acmeCaServer}),
    ...(infra.acmeCaCertificates === undefined ? {} : {acmeCaCertificates: infra.acmeCaCertificates}),
  }
  if (name !== undefined) {
    for (const result of facts.tls) if (add(checkTls(name, result, machine, input.now, {trust, ...(input.acme === undefined ? {} : {acme: input.acme})}))) return findings
  }
  if (facts.container && route.protocol === 'udp') add(checkRelay(withService(route, facts), facts.container, infra, route.repository))
  return findings
}

/** A host asked with --host that no route serves: the networking guide's "service missing from routes". */
export function checkAskedHost(host: string, routes: RouteView[], infra: InfraView, health?: RouterHealth): Finding | undefined {
  const name = host.toLowerCase()
  if (routes.some((r) => r.hosts.includes(name))) return undefined
  // What the route server says about containers that give no route, as the likely reason.
  const refused = (health?.refusals ?? []).filter((r) => r.reason.toLowerCase().includes(name))
  const skippedNote = (networkId: number | undefined): string => {
    const skipped = (health?.skipped ?? []).filter((s) => networkId === undefined || s.networkId === networkId).slice(0, 5)
    const notes = [...refused.map((r) => `refused ${r.container ?? ''}: ${r.reason}`), ...skipped.map((s) => `${s.container} gives no route: ${s.reason}`)]
    return notes.length > 0 ? ` (${notes.join('; ')})` : ''
  }
  const auto = infra.baseDomain ? new RegExp(`^(.+)-(\\d+)\\.${infra.baseDomain.replace(/\./g, '\\.')}$`).exec(name) : null
  if (auto) {
    const [, service, id] = auto
    return fail(
      'route',
      `no route serves ${host}: the automatic route of service ${service} in network ${id} is missing (its container is not running, or has no rediacc.* labels / no port)${skippedNote(Number(id))}`,
      `check the container runs and carries rediacc.service_name=${service} and rediacc.tcp_ports: ${daemonPs(Number(id))}; deploy with renet compose (rdc repo up)`,
      {subject: host},
    )
  }
  return fail(
    'route',
    `no route serves ${host}: its container is not running or lacks the labels${skippedNote(undefined)}`,
    `check the container runs (${daemonPs(undefined)}) and has traefik.enable=true and traefik.http.routers.<name>.rule=Host(\`${host}\`); then rdc repo up <repo>`,
    {subject: host},
  )
}

/** --repo asked: a repository whose containers produce no route at all. */
export function checkAskedRepo(repo: {name: string; networkId: number}, routes: RouteView[]): Finding {
  const mine = routes.filter((r) => r.networkId === repo.networkId)
  if (mine.length > 0) return ok('route', `repository ${repo.name} has ${mine.length} routes`, {subject: repo.name})
  return fail(
    'route',
    `repository ${repo.name} (network ${repo.networkId}) has no routes: no running container with traefik.enable=true or rediacc.* labels and a port`,
    `check its containers and labels: ${daemonPs(repo.networkId)}; then rdc repo up ${repo.name}`,
    {subject: repo.name},
  )
}
