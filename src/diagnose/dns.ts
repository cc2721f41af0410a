import {randomBytes} from 'node:crypto'
import {isIP} from 'node:net'

import {UsageError} from '../errors.js'
import type {DnsAnswer, RecordSet} from './facts.js'

export interface ResolverOptions {
  /** `IP` or `IP:port` (IPv6 as `[::1]:53`); undefined = the system's resolvers. */
  resolver?: string
  timeoutMs?: number
}

/** Validates --resolver and returns it in the form node:dns setServers takes. */
export function parseResolver(value: string): string {
  const v = value.trim()
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(v)
  const [ip, port] = bracketed ? [bracketed[1]!, bracketed[2]] : isIP(v) === 6 ? [v, undefined] : (v.split(':') as [string, string | undefined])
  const portNum = port === undefined ? 53 : Number(port)
  if (isIP(ip) === 0 || !Number.isInteger(portNum) || portNum < 1 || portNum > 65_535) {
    throw new UsageError(`--resolver must be IP or IP:port, got ${value}`, {field: 'resolver', suggestion: 'e.g. --resolver 1.1.1.1 or --resolver 127.0.0.1:5353 or --resolver [::1]:53'})
  }
  if (port === undefined) return ip
  return isIP(ip) === 6 ? `[${ip}]:${portNum}` : `${ip}:${portNum}`
}

async function lookup(resolve: () => Promise<string[]>): Promise<RecordSet> {
  try {
    return {addresses: (await resolve()).sort()}
  } catch (error) {
    return {error: (error as NodeJS.ErrnoException).code ?? (error as Error).message}
  }
}

/**
 * A and AAAA for each name, through one resolver, all at once. Asks the DNS itself (not the hosts file), so the
 * answer is what the internet sees; a wildcard record answers like any other.
 */
export async function resolveNames(names: string[], options: ResolverOptions = {}): Promise<DnsAnswer[]> {
  const {Resolver} = await import('node:dns/promises')
  const resolver = new Resolver({timeout: options.timeoutMs ?? 1500, tries: 1})
  if (options.resolver !== undefined) resolver.setServers([parseResolver(options.resolver)])
  const label = options.resolver === undefined ? 'system' : parseResolver(options.resolver).replace(/^([^[:\]]+)$/, '$1:53')
  return Promise.all(
    names.map(async (name) => {
      const [a, aaaa] = await Promise.all([lookup(() => resolver.resolve4(name)), lookup(() => resolver.resolve6(name))])
      return {name, resolver: label, a, aaaa}
    }),
  )
}

/** A name that exists only if a wildcard covers it: `rdc-probe-<random>.<parent of name>`. */
export function wildcardProbeName(name: string): string {
  return `rdc-probe-${randomBytes(4).toString('hex')}.${name.slice(name.indexOf('.') + 1)}`
}
