import {ROUTER_ADDRESS} from '../../layout/server.js'
import {entryPointsFor} from '../../net/entrypoints.js'
import type {InfraView, ServerFacts} from '../facts.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {daemonPs, pushInfra, restartRouter, routerLogs, setTcpPorts, setUdpPorts} from '../fixes.js'
import {ParseError, parseHealth, type Refusal, type RouterHealth} from '../parse/router.js'

export interface RouterCheck {
  findings: Finding[]
  /** Parsed /health when it answered; later checks use its version, daemons and refusals. */
  health?: RouterHealth
  /** The route server answers; its /routes.json is worth reading. */
  answering: boolean
}

function refusalFix(r: Refusal, machine: string, repo: string | undefined, infra?: InfraView): string {
  const redeploy = `fix the container's traefik.* labels and redeploy: rdc repo up ${repo ?? '<repo>'}`
  const port = /\b(tcp|udp)-(\d+)\b/i.exec(r.reason)
  switch (r.kind) {
    case 'unknown-entrypoint': {
      if (!port) return `use an entry point that exists (see rdc context show-infra ${machine}) in the router's labels, then rdc repo up ${repo ?? '<repo>'}`
      const n = Number(port[2])
      if (infra !== undefined && entryPointsFor(infra).some((e) => e.name === port[0]!.toLowerCase())) {
        // The settings (and so traefik.yml) have the port; the route server has not picked the entry point up.
        return `the infra settings already have ${port[0]}, the route server does not know it yet: ${pushInfra(machine)}; if it persists, ${restartRouter}`
      }
      if (infra !== undefined) return `register the port: ${port[1]!.toLowerCase() === 'tcp' ? setTcpPorts(machine, [...(infra.tcpPorts ?? []), n]) : setUdpPorts(machine, [...(infra.udpPorts ?? []), n])}`
      const flag = port[1]!.toLowerCase() === 'tcp' ? '--tcp-ports' : '--udp-ports'
      return `register the port: rdc context set-infra ${machine} ${flag} <ports…,${n}> && ${pushInfra(machine)}`
    }
    case 'foreign-hostname':
    case 'name-conflict': {
      return `another repository already has it: use a hostname/router name of your own, or remove it there first; then rdc repo up ${repo ?? '<repo>'}`
    }
    case 'foreign-backend':
    case 'network-mismatch': {
      return `let the route point at the container's own service IP: set only loadbalancer.server.port (no url/address), then rdc repo up ${repo ?? '<repo>'}`
    }
    case 'foreign-reference': {
      return `refer only to routers, services and middlewares of this repository (no @file, @internal, @docker), then rdc repo up ${repo ?? '<repo>'}`
    }
    case 'udp-entrypoint-taken': {
      return `only one UDP router per entry point: give this one another udp-<port> (rdc context set-infra ${machine} --udp-ports …) or none for a dynamic port`
    }
    case 'ports-exhausted': {
      return 'the dynamic port range is full: stop an unused TCP/UDP service, or give the router an explicit entry point'
    }
    default: {
      return redeploy
    }
  }
}

/** What `systemctl is-active` prints. */
const UNIT_STATES = new Set(['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading', 'refreshing', 'maintenance', 'unknown'])

/** The route server: its unit, /health, degraded daemons and refused routes (with their reasons). */
export function checkRouter(facts: ServerFacts, machine: string, repoNames: ReadonlyMap<number, string> = new Map(), infra?: InfraView): RouterCheck {
  const unit = facts.routerUnit.stdout.trim().split('\n')[0]!.trim() || 'unknown'
  const findings: Finding[] = []
  if (!UNIT_STATES.has(unit)) {
    findings.push(fail('router', `cannot ask systemd about rediacc-router: ${unit}`, 'the server needs systemd; check: systemctl status rediacc-router', {subject: 'rediacc-router'}))
  } else if (unit !== 'active') {
    findings.push(fail('router', `rediacc-router is ${unit}`, `sudo systemctl start rediacc-router (why it stopped: ${routerLogs})`, {subject: 'rediacc-router'}))
  }
  const h = facts.health
  if (h.outcome !== 'ok') {
    findings.push(
      fail('router', `/health on ${ROUTER_ADDRESS} does not answer (${h.outcome}${h.error ? `: ${h.error}` : ''})`, `${restartRouter} (then: ${routerLogs})`, {
        subject: 'rediacc-router',
        durationMs: h.durationMs,
      }),
    )
    return {findings, answering: false}
  }
  if (h.status === 503) {
    findings.push(
      warn('router', 'the route server has not finished its first discovery yet (503): Traefik keeps its last configuration', `wait a few seconds and re-run; if it stays: ${routerLogs}`, {
        subject: 'rediacc-router',
      }),
    )
  }
  let health: RouterHealth
  try {
    health = parseHealth(h.body ?? '')
  } catch (error) {
    if (!(error instanceof ParseError)) throw error
    findings.push(fail('router', `${error.message} (HTTP ${h.status})`, `${restartRouter}; if it persists, ${pushInfra(machine)}`, {subject: 'rediacc-router'}))
    return {findings, answering: true}
  }

  for (const d of health.daemons) {
    if (!d.stale && d.error === undefined) continue
    const id = /(\d+)/.exec(d.name)?.[1]
    findings.push(
      warn(
        'router',
        `daemon ${d.name} ${d.stale ? 'is stale' : 'reports an error'}${d.lastSync ? ` (last sync ${d.lastSync})` : ''}${d.error ? `: ${d.error}` : ''}; its last known routes are kept`,
        `sudo systemctl status rediacc-docker@${id ?? '<id>'}; ${daemonPs(id === undefined ? undefined : Number(id))}`,
        {subject: d.name},
      ),
    )
  }
  for (const r of health.refusals) {
    const repo = r.networkId === undefined ? undefined : repoNames.get(r.networkId)
    const what = [r.object, r.container && `container ${r.container}`, r.networkId !== undefined && (repo ? `repository ${repo}` : `network ${r.networkId}`)].filter(Boolean).join(', ')
    findings.push(fail('route', `refused by the route server (${what || 'unnamed'}): ${r.reason}`, refusalFix(r, machine, repo, infra), {subject: r.object ?? r.container}))
  }
  if (findings.length === 0) {
    const counts = [health.routers !== undefined && `${health.routers} routers`, health.services !== undefined && `${health.services} services`, health.autoRoutes !== undefined && `auto routes ${health.autoRoutes ? 'on' : 'off'}`]
      .filter(Boolean)
      .join(', ')
    findings.push(ok('router', `active, /health ${health.status}${counts ? `: ${counts}` : ''}, ${health.daemons.length} daemons`, {subject: 'rediacc-router', durationMs: h.durationMs}))
  } else if (health.status !== 'ok' && !findings.some((f) => f.hop === 'router')) {
    findings.push(warn('router', `/health says ${health.status}`, routerLogs, {subject: 'rediacc-router'}))
  }
  return {findings, health, answering: true}
}
