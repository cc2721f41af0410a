import {entryPointsFor, type EntryPoint} from '../../net/entrypoints.js'
import type {InfraView, ServerFacts} from '../facts.js'
import {fail, ok, type Finding} from '../finding.js'
import {proxyLogs, pushInfra, socketAccess} from '../fixes.js'
import {parseContainer} from '../parse/docker.js'
import {ParseError} from '../parse/router.js'
import {parseSs, socketsFor, type ListeningSocket} from '../parse/ss.js'

/** The address part of an entry point: undefined for any address (`:80`, `:53/udp`). */
function boundAddress(ep: EntryPoint): string | undefined {
  const addr = ep.address.replace(/\/udp$/, '')
  const host = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '')
  return host === '' ? undefined : host
}

function proto(ep: EntryPoint): 'tcp' | 'udp' {
  return ep.kind === 'udp' ? 'udp' : 'tcp'
}

function portFix(ep: EntryPoint, holders: string[], machine: string): string {
  if (holders.includes('systemd-resolve') || holders.includes('systemd-resolved')) {
    return `free port ${ep.port}: set DNSStubListener=no in /etc/systemd/resolved.conf, sudo systemctl restart systemd-resolved, then ${pushInfra(machine)}`
  }
  return `stop ${holders.join(', ')} or move it off port ${ep.port}, then ${pushInfra(machine)}`
}

/**
 * Every entry point rdc intends must be a listening socket owned by Traefik (when ss can see owners). A port
 * held by another program is named, since Traefik then fails to start that entry point.
 */
export function checkListening(intended: EntryPoint[], sockets: ListeningSocket[], machine: string): Finding[] {
  const findings: Finding[] = []
  const silent: Array<{ep: EntryPoint; elsewhere: ListeningSocket[]}> = []
  for (const ep of intended) {
    const address = boundAddress(ep)
    const found = socketsFor(sockets, proto(ep), ep.port, address)
    if (found.length === 0) {
      silent.push({ep, elsewhere: socketsFor(sockets, proto(ep), ep.port)})
      continue
    }
    const holders = [...new Set(found.flatMap((s) => s.processes))]
    if (holders.length > 0 && !holders.includes('traefik')) {
      findings.push(fail('entrypoint', `port ${ep.port}/${proto(ep)} is held by ${holders.join(', ')}, not Traefik`, portFix(ep, holders, machine), {subject: `${ep.name} (${ep.address})`}))
    }
  }
  if (silent.length > 0) {
    // One finding for all silent entry points: they share a cause (Traefik not running them) and a fix.
    const specific = silent.map((s) => boundAddress(s.ep)).filter((a): a is string => a !== undefined)
    const note = specific.length > 0 ? ` (if ${[...new Set(specific)].join(' or ')} is not an address of this server, Traefik cannot bind it: check publicIPv4/publicIPv6)` : ''
    const list = silent.map(({ep, elsewhere}) => `${ep.name} (${ep.address}${elsewhere.length > 0 ? `; bound only on ${elsewhere.map((s) => s.address).join(', ')}` : ''})`)
    findings.unshift(
      fail('entrypoint', `nothing listens on ${silent.length === 1 ? '' : `${silent.length} of ${intended.length} entry points: `}${list.join(', ')}`, `${pushInfra(machine)}${note}; then ${proxyLogs}`, {
        subject: silent.length === 1 ? silent[0]!.ep.name : `${silent.length} entry points`,
      }),
    )
  }
  if (findings.length === 0) findings.push(ok('entrypoint', `all ${intended.length} entry points are listening`))
  return findings
}

/** The rediacc-proxy container, Traefik's ping, and the sockets of the entry points. */
export function checkProxy(facts: ServerFacts, infra: InfraView, machine: string): Finding[] {
  const findings: Finding[] = []
  const p = facts.proxy
  if (p.outcome !== 'ok' || p.status === undefined) {
    const fix = p.error === 'EACCES' ? socketAccess : 'sudo systemctl start docker'
    findings.push(fail('proxy', `the Docker API on /var/run/docker.sock does not answer (${p.error ?? p.outcome})`, fix, {subject: 'docker'}))
    return findings
  }
  let state
  try {
    state = parseContainer(p.status, p.body ?? '')
  } catch (error) {
    if (!(error instanceof ParseError)) throw error
    findings.push(fail('proxy', error.message, 'sudo systemctl restart docker', {subject: 'rediacc-proxy'}))
    return findings
  }
  if (!state.exists) {
    findings.push(fail('proxy', 'the rediacc-proxy container does not exist', pushInfra(machine), {subject: 'rediacc-proxy'}))
    return findings
  }
  if (state.running !== true || state.restarting === true) {
    const why = [state.status ?? 'not running', state.exitCode ? `exit code ${state.exitCode}` : '', state.error ?? ''].filter(Boolean).join(', ')
    findings.push(fail('proxy', `rediacc-proxy is ${why}`, `see why: ${proxyLogs}; then recreate it: ${pushInfra(machine)}`, {subject: 'rediacc-proxy'}))
    return findings
  }

  const ping = facts.traefikPing
  if (ping.outcome !== 'ok' || ping.status !== 200) {
    findings.push(
      fail('proxy', `Traefik's ping on 127.0.0.1:8082 does not answer (${ping.outcome === 'ok' ? `HTTP ${ping.status}` : (ping.error ?? ping.outcome)})`, `${proxyLogs}; ${pushInfra(machine)}`, {
        subject: 'rediacc-proxy',
      }),
    )
  } else {
    findings.push(ok('proxy', `rediacc-proxy is running${state.image ? ` (${state.image})` : ''}, ping answers`, {subject: 'rediacc-proxy', durationMs: ping.durationMs}))
  }

  if (facts.sockets.code !== 0) {
    findings.push(fail('entrypoint', `cannot read the socket table: ss exited ${facts.sockets.code}: ${facts.sockets.stderr.trim()}`, 'install iproute2 on the server'))
    return findings
  }
  findings.push(...checkListening(entryPointsFor(infra), parseSs(facts.sockets.stdout), machine))
  return findings
}
