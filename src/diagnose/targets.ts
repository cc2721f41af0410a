import type {Machine, Repository} from '../config/schema.js'
import {ConnectionError, HostKeyError} from '../errors.js'
import type {LocalFacts, SshFacts} from './facts.js'

export interface LocalFactsInput {
  machineName: string
  machine: Machine
  /** The context's repositories (all machines); those on this machine name network ids in fixes. */
  repositories: Record<string, Repository>
  askedHost?: string
  askedRepo?: string
  /** RDC_CF_DNS_TOKEN may stand in for a stored token at push time. */
  env?: NodeJS.ProcessEnv
}

/** What diagnose knows locally about one machine. Secrets reduce to "present or not". */
export function localFactsFor(i: LocalFactsInput): LocalFacts {
  const {infra} = i.machine
  const env = i.env ?? process.env
  const repositories = Object.entries(i.repositories)
    .filter(([, r]) => r.machine === i.machineName)
    .map(([name, r]) => ({name, networkId: r.networkId}))
  const facts: LocalFacts = {
    machine: i.machineName,
    hasHostKey: i.machine.hostKey !== undefined,
    infra: {
      ...(infra.publicIPv4 === undefined ? {} : {publicIPv4: infra.publicIPv4}),
      ...(infra.publicIPv6 === undefined ? {} : {publicIPv6: infra.publicIPv6}),
      ...(infra.baseDomain === undefined ? {} : {baseDomain: infra.baseDomain}),
      ...(infra.certEmail === undefined ? {} : {certEmail: infra.certEmail}),
      hasCfDnsToken: infra.cfDnsApiToken !== undefined || Boolean(env.RDC_CF_DNS_TOKEN),
      ...(infra.tcpPorts === undefined ? {} : {tcpPorts: [...infra.tcpPorts]}),
      ...(infra.udpPorts === undefined ? {} : {udpPorts: [...infra.udpPorts]}),
      // The ACME CA decides which roots a served chain must reach (public certificates, not secrets).
      ...(infra.acmeCaServer ? {acmeCaServer: infra.acmeCaServer} : {}),
      ...(infra.acmeCaCertificates?.trim() ? {acmeCaCertificates: infra.acmeCaCertificates} : {}),
    },
    repositories,
  }
  if (i.askedHost !== undefined) facts.askedHost = i.askedHost.toLowerCase().replace(/\.$/, '')
  if (i.askedRepo !== undefined) {
    const repo = i.repositories[i.askedRepo]
    if (repo !== undefined) facts.askedRepo = {name: i.askedRepo, networkId: repo.networkId}
  }
  return facts
}

/**
 * SSH facts from the error connectSsh threw: a changed host key (with both fingerprints when the message
 * carries them), a refused login, a timeout or an unreachable server.
 */
export function sshFactsFromError(error: unknown, target: string, durationMs: number): SshFacts {
  const message = error instanceof Error ? error.message : String(error)
  const base = {target, durationMs, message}
  if (error instanceof HostKeyError) {
    if (/no host key is pinned/i.test(message)) return {...base, outcome: 'unpinned'}
    const fp = /Expected (\S+?)[,.]? received (\S+?)\.?(\s|$)/i.exec(message)
    return {...base, outcome: 'host-key-mismatch', ...(fp ? {pinned: fp[1]!, presented: fp[2]!} : {})}
  }
  if (error instanceof ConnectionError) {
    if (/login .* failed|authentication|private key/i.test(message)) return {...base, outcome: 'auth-failed'}
    if (/timed out|timeout/i.test(message)) return {...base, outcome: 'timeout'}
    return {...base, outcome: 'unreachable'}
  }
  return {...base, outcome: 'unreachable'}
}
