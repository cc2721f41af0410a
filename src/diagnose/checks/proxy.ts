import {PROXY_CONTAINER} from '../../layout/server.js'
import {entryPointsFor, type EntryPoint} from '../../net/entrypoints.js'
import type {InfraView, ServerFacts} from '../facts.js'
import {fail, ok, type Finding} from '../finding.js'
import {proxyLogs, pushInfra, socketAccess} from '../fixes.js'
import {parseContainer} from '../parse/docker.js'
import {ParseError} from '../parse/router.js'
import {parseSs, socketsFor, WILDCARDS, type ListeningSocket} from '../parse/ss.js'

/** The address part of an entry point: undefined for any address (`:80`, `:53/udp`). */
function boundAddress(ep: EntryPoint): string | undefined {
  const addr = ep.address.replace(/\/udp$/, '')
  const host = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '')
  return host === '' ? undefined : host
}

function proto(ep: EntryPoint): 'tcp' | 'udp' {
  return ep.kind === 'udp' ? 'udp' : 'tcp'
}

function portFix(ep: EntryPoint, holders: string[], wildcard: boolean, machine: string): string {
  if (wildcard) {
    return `make ${holders.join(', ')} listen on specific addresses instead of every address (or stop it): Linux refuses Traefik's bind on ${ep.address} while port ${ep.port} is taken on every address; then ${pushInfra(machine)}`
  }
  return `stop ${holders.join(', ')} or move it off ${ep.address}, then ${pushInfra(machine)}`
}

/**
 * Every entry point rdc intends must be a listening socket owned by Traefik (when ss can see owners). Entry points
 * bind the machine's specific public addresses, so a program on the same port at another address (systemd-resolved
 * on 127.0.0.53:53, a service on its 127.0.11.x) does not conflict; one bound to every address (0.0.0.0:53) or to
 * the same address does, and is named.
 */
export function checkListening(intended: EntryPoint[], sockets: ListeningSocket[], machine: string): Finding[] {
  const findings: Finding[] = []
  const silent: Array<{ep: EntryPoint; elsewhere: ListeningSocket[]}> = []
  // Addresses of intended entry points, per protocol and port: a twin's socket is not "elsewhere".
  const intendedAt = new Set(intended.map((e) => `${proto(e)}/${e.port}/${boundAddress(e) ?? '*'}`))
  for (const ep of intended) {
    const address = boundAddress(ep)
    const found = socketsFor(sockets, proto(ep), ep.port, address)
    if (found.length === 0) {
      const elsewhere = socketsFor(sockets, proto(ep), ep.port).filter((s) => !intendedAt.has(`${s.proto}/${s.port}/${s.address}`) && (s.processes.length === 0 || s.processes.includes('traefik')))
      silent.push({ep, elsewhere})
      continue
    }
    const others = found.filter((s) => s.processes.length > 0 && !s.processes.includes('traefik'))
    if (others.length > 0 && !found.some((s) => s.processes.includes('traefik'))) {
      const holders = [...new Set(others.flatMap((s) => s.processes))]
      const wildcard = others.every((s) => WILDCARDS.has(s.address))
      const where = wildcard ? `on every ${others.every((s) => s.address === '0.0.0.0') ? 'IPv4 ' : others.every((s) => s.address === '::') ? 'IPv6 ' : ''}address` : `on ${address ?? '*'}`
      findings.push(fail('entrypoint', `port ${ep.port}/${proto(ep)} is held by ${holders.join(', ')} ${where}, not Traefik`, portFix(ep, holders, wildcard, machine), {subject: `${ep.name} (${ep.address})`}))
    }
  }
  if (silent.length > 0) {
    // One finding for all silent entry points: they share a cause (Traefik not running them) and a fix.
    const specific = silent.map((s) => boundAddress(s.ep)).filter((a): a is string => a !== undefined)
    const note = specific.length > 0 ? ` (if ${[...new Set(specific)].join(' or ')} is not an address of this server, Traefik cannot bind it: check publicIPv4/publicIPv6)` : ''
    const list = silent.map(({ep, elsewhere}) => `${ep.name} (${ep.address}${elsewhere.length > 0 ? `; bound on ${elsewhere.map((s) => s.address).join(', ')} instead` : ''})`)
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
    findings.push(fail('proxy', error.message, 'sudo systemctl restart docker', {subject: PROXY_CONTAINER}))
    return findings
  }
  if (!state.exists) {
    findings.push(fail('proxy', `the ${PROXY_CONTAINER} container does not exist`, pushInfra(machine), {subject: PROXY_CONTAINER}))
    return findings
  }
  if (state.running !== true || state.restarting === true) {
    const why = [state.status ?? 'not running', state.exitCode ? `exit code ${state.exitCode}` : '', state.error ?? ''].filter(Boolean).join(', ')
    findings.push(fail('proxy', `${PROXY_CONTAINER} is ${why}`, `see why: ${proxyLogs}; then recreate it: ${pushInfra(machine)}`, {subject: PROXY_CONTAINER}))
    return findings
  }

  const ping = facts.traefikPing
  if (ping.outcome !== 'ok' || ping.status !== 200) {
    findings.push(
      fail('proxy', `Traefik's ping on 127.0.0.1:8082 does not answer (${ping.outcome === 'ok' ? `HTTP ${ping.status}` : (ping.error ?? ping.outcome)})`, `${proxyLogs}; ${pushInfra(machine)}`, {
        subject: PROXY_CONTAINER,
      }),
    )
  } else {
    findings.push(ok('proxy', `${PROXY_CONTAINER} is running${state.image ? ` (${state.image})` : ''}, ping answers`, {subject: PROXY_CONTAINER, durationMs: ping.durationMs}))
  }

  if (facts.sockets.code !== 0) {
    findings.push(fail('entrypoint', `cannot read the socket table: ss exited ${facts.sockets.code}: ${facts.sockets.stderr.trim()}`, 'install iproute2 on the server'))
    return findings
  }
  findings.push(...checkListening(entryPointsFor(infra), parseSs(facts.sockets.stdout), machine))
  return findings
}
