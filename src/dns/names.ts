/**
 * Names, zones, markers and where Cloudflare's API is, for `rdc dns` and the token check.
 */
import {createHash} from 'node:crypto'
import {isIP} from 'node:net'

import {CLOUDFLARE_API} from './cloudflare/client.js'

/**
 * lego (inside Traefik) reads CLOUDFLARE_BASE_URL from the proxy's environment (`set-infra --proxy-env`). rdc
 * reads the same setting, so the token check and the records rdc makes go to exactly the API the machine's
 * certificates depend on, and a lab points both at its stand-in with one setting that cannot disagree with itself.
 */
export const BASE_URL_KEY = 'CLOUDFLARE_BASE_URL'

export function cloudflareApiBase(infra: {proxyEnv?: Readonly<Record<string, string>>}): string {
  const custom = infra.proxyEnv?.[BASE_URL_KEY]?.trim()
  return (custom || CLOUDFLARE_API).replace(/\/+$/, '')
}

/** Lower case, no trailing dot. */
export function normalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '')
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/

/** A host name a DNS record can be made for: two labels at least, not an address, no wildcard. */
export function isRecordName(name: string): boolean {
  const n = normalName(name)
  if (n.length === 0 || n.length > 253 || isIP(n) !== 0) return false
  const labels = n.split('.')
  return labels.length >= 2 && labels.every((l) => LABEL.test(l))
}

/** The zone (of `zones`) that holds `name`: the longest suffix match. */
export function zoneOf(name: string, zones: readonly string[]): string | undefined {
  const n = normalName(name)
  return zones
    .map(normalName)
    .filter((z) => n === z || n.endsWith(`.${z}`))
    .sort((a, b) => b.length - a.length)[0]
}

export function wildcardOf(baseDomain: string): string {
  return `*.${normalName(baseDomain)}`
}

/**
 * Whether the wildcard `*.{baseDomain}` answers `name`: one label directly below the base domain. Deeper names
 * get records of their own (a wildcard answers them only while no name between exists, which rdc cannot promise).
 */
export function coveredByWildcard(name: string, baseDomain: string | undefined): boolean {
  if (!baseDomain) return false
  const n = normalName(name)
  const base = normalName(baseDomain)
  if (!n.endsWith(`.${base}`)) return false
  const label = n.slice(0, -(base.length + 1))
  return label.length > 0 && !label.includes('.') && label !== '*'
}

/** Canonical text of an address (IPv6 compressed, lower case) so 2001:db8:0::1 equals 2001:db8::1. */
export function canonicalAddress(address: string): string {
  const a = address.trim()
  if (isIP(a) === 6) return new URL(`http://[${a}]/`).hostname.slice(1, -1)
  return a
}

/** Cloudflare keeps at most 100 characters of a record's comment on the Free plan. */
const COMMENT_MAX = 100
const OWNER_PREFIX = 'managed by rdc: '

/**
 * The comment rdc writes on every record it makes, naming the context and machine it made it for. Only records
 * that carry a machine's marker are ever changed or removed for that machine.
 */
export function ownerMarker(context: string, machine: string): string {
  const plain = `${OWNER_PREFIX}${context}/${machine}`
  if (plain.length <= COMMENT_MAX) return plain
  return `${OWNER_PREFIX}#${createHash('sha256').update(`${context}/${machine}`).digest('hex').slice(0, 24)}`
}

/** "prod/m1" (or "#hash") when the comment is an rdc marker, else undefined. */
export function markerOwner(comment: string | null | undefined): string | undefined {
  if (!comment?.startsWith(OWNER_PREFIX)) return undefined
  const owner = comment.slice(OWNER_PREFIX.length).trim()
  return owner === '' ? undefined : owner
}

/** The token check's TXT record (created and deleted at once): its name label and comment. */
export const CHECK_LABEL = '_rdc-check'
export const CHECK_COMMENT = 'rdc token check (deleted at once)'
