import {isIPv4, isIPv6} from 'node:net'

import {UsageError} from '../errors.js'
import {RESERVED_PORTS, ROUTER_PORT} from '../net/entrypoints.js'
import {nonPublicReason} from './ip-ranges.js'
import {NAME_PATTERN} from './schema.js'

/**
 * Value rules shared by flags and the context file. Each returns the normalised value or throws a UsageError
 * whose `field` is the flag the user typed, with a fix. Messages never echo secrets (none pass through here).
 */

export interface AddressOptions {
  allowPrivate?: boolean
  field?: string
}

export function validatePublicIPv4(value: string, opts: AddressOptions = {}): string {
  const field = opts.field ?? '--public-ipv4'
  const v = value.trim()
  // isIPv4 first: node's IPv6 pattern is costly to build, and most values are IPv4.
  if (!isIPv4(v) && isIPv6(v)) {
    throw new UsageError(`${field}: "${v}" is an IPv6 address, not IPv4.`, {field, suggestion: 'Give it with --public-ipv6 instead.'})
  }
  if (!isIPv4(v)) {
    throw new UsageError(`${field}: "${v}" is not an IPv4 address.`, {field, suggestion: `Use dotted-quad form, e.g. ${field} 198.51.100.7 (the server's public address).`})
  }
  return checkPublic(v, field, opts)
}

export function validatePublicIPv6(value: string, opts: AddressOptions = {}): string {
  const field = opts.field ?? '--public-ipv6'
  const v = value.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (isIPv4(v)) {
    throw new UsageError(`${field}: "${v}" is an IPv4 address, not IPv6.`, {field, suggestion: 'Give it with --public-ipv4 instead.'})
  }
  if (!isIPv6(v)) {
    throw new UsageError(`${field}: "${value.trim()}" is not an IPv6 address.`, {field, suggestion: `Use the server's global address, e.g. ${field} 2a01:4f8::1 (no brackets, no port).`})
  }
  return checkPublic(v, field, opts)
}

function checkPublic(address: string, field: string, opts: AddressOptions): string {
  if (opts.allowPrivate) return address
  const why = nonPublicReason(address)
  if (why) {
    throw new UsageError(`${field}: ${address} is a ${why} address, not a public one.`, {
      field,
      suggestion: "Give the server's public address, or add --allow-private for a lab or test network.",
    })
  }
  return address
}

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/

/** A DNS name under which services get hostnames. Upper case is folded; one trailing dot is allowed. */
export function validateBaseDomain(value: string, field = '--base-domain'): string {
  const raw = value.trim()
  const fail = (why: string, fix = `Give a bare DNS name, e.g. ${field} example.com.`): never => {
    throw new UsageError(`${field}: "${raw}" ${why}.`, {field, suggestion: fix})
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) fail('has a URL scheme', `Drop the scheme: ${field} ${raw.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/:]/)[0]}.`)
  if (raw.includes('/')) fail('has a path', `Drop everything from the first "/": ${field} ${raw.split('/')[0]}.`)
  if (raw.includes(':')) fail('has a port', 'A base domain has no port; HTTPS is served on 443.')
  const name = raw.toLowerCase().replace(/\.$/, '')
  if (name.length === 0) fail('is empty')
  if (name.length > 253) fail(`is ${name.length} characters long; a DNS name has at most 253`)
  const labels = name.split('.')
  for (const label of labels) {
    if (label.length === 0) fail('has an empty label (two dots in a row, or a leading dot)')
    if (label.length > 63) fail(`has the label "${label.slice(0, 20)}…" of ${label.length} characters; a label has at most 63`)
    if (!LABEL.test(label)) fail(`has the label "${label}"; labels use a-z, 0-9 and inner hyphens only`)
  }
  if (labels.length < 2) fail('is a single label', `Give a domain you control with at least two labels, e.g. ${field} example.com.`)
  if (/^[0-9]+$/.test(labels[labels.length - 1])) fail('looks like an IP address, not a DNS name')
  return name
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/

/** The ACME account e-mail. */
export function validateEmail(value: string, field = '--cert-email'): string {
  const v = value.trim()
  const fix = `Give an address that can receive mail, e.g. ${field} admin@example.com.`
  const at = v.lastIndexOf('@')
  if (at <= 0 || at === v.length - 1) throw new UsageError(`${field}: "${v}" is not an e-mail address.`, {field, suggestion: fix})
  const local = v.slice(0, at)
  if (local.length > 64 || !LOCAL_PART.test(local)) {
    throw new UsageError(`${field}: "${v}" has an invalid part before the "@".`, {field, suggestion: fix})
  }
  let domain: string
  try {
    domain = validateBaseDomain(v.slice(at + 1), field)
  } catch {
    throw new UsageError(`${field}: "${v}" has an invalid domain after the "@".`, {field, suggestion: fix})
  }
  if (v.length > 254) throw new UsageError(`${field}: the address is longer than 254 characters.`, {field, suggestion: fix})
  return `${local}@${domain}`
}

/** Extra TCP/UDP ports: "25,143" or a list; 1–65535, no duplicates, none that the proxy or route server owns. */
export function validatePorts(value: string | readonly number[], field: string): number[] {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value.map(String)
  const fix = `Give a comma-separated list of port numbers, e.g. ${field} 25,143.`
  if (items.length === 0 || (items.length === 1 && items[0] === '')) {
    throw new UsageError(`${field}: no ports given.`, {field, suggestion: `${fix} To clear the list use --unset ${field.replace(/^--/, '')}.`})
  }
  const seen = new Set<number>()
  for (const item of items) {
    if (!/^[0-9]+$/.test(item)) throw new UsageError(`${field}: "${item}" is not a port number.`, {field, suggestion: fix})
    const port = Number(item)
    if (port < 1 || port > 65_535) throw new UsageError(`${field}: ${item} is outside 1–65535.`, {field, suggestion: fix})
    if (seen.has(port)) throw new UsageError(`${field}: ${port} is listed twice.`, {field, suggestion: 'List each port once.'})
    if ((RESERVED_PORTS as readonly number[]).includes(port)) {
      const owner = port === ROUTER_PORT ? 'the route server' : 'the proxy (HTTP, HTTPS or its internal API)'
      throw new UsageError(`${field}: ${port} is reserved for ${owner}.`, {field, suggestion: `Remove ${port}; reserved ports are ${RESERVED_PORTS.join(', ')}.`})
    }
    seen.add(port)
  }
  return [...seen].sort((a, b) => a - b)
}

/** Context and machine names: lower-case letters, digits and inner hyphens, at most 63 characters. */
export function validateName(value: string, field: string, kind = 'name'): string {
  if (!NAME_PATTERN.test(value)) {
    const folded = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63)
    throw new UsageError(`${field}: "${value}" is not a valid ${kind}; use a-z, 0-9 and inner hyphens (at most 63).`, {
      field,
      suggestion: folded && NAME_PATTERN.test(folded) ? `For example "${folded}".` : 'For example "server-1".',
    })
  }
  return value
}

/** A Cloudflare API token: one line, no spaces. The value is never part of a message. */
export function validateToken(value: string, field = '--cf-dns-token'): string {
  const v = value.trim()
  if (v.length === 0) throw new UsageError(`${field}: the token is empty.`, {field, suggestion: 'Pipe it in: printf %s "$TOKEN" | rdc context set-infra <machine> --cf-dns-token -'})
  if (/[\s\u0000-\u001f\u007f]/.test(v)) {
    throw new UsageError(`${field}: the token contains spaces or control characters.`, {field, suggestion: 'Copy the token again from the Cloudflare dashboard (Zone:DNS:Edit, Zone:Zone:Read).'})
  }
  return v
}

/**
 * A Docker image reference (`traefik:v3.6.11`, `registry.example.com:5000/team/traefik@sha256:…`): lowercase
 * path components, an optional registry host with port, an optional tag and/or digest. It ends up in the proxy's
 * compose file, so anything that could break that YAML line is refused here.
 */
const IMAGE_REF = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/

export function validateImageRef(value: string, field = '--proxy-image'): string {
  const v = value.trim()
  if (v.length === 0 || v.length > 255 || !IMAGE_REF.test(v)) {
    throw new UsageError(`${field}: "${value}" is not a Docker image reference.`, {
      field,
      suggestion: 'Give NAME[:TAG][@DIGEST] in lowercase, e.g. traefik:v3.6.11 or registry.example.com/mirror/traefik:v3.6.11.',
    })
  }
  return v
}

/** An SSH host: an IP address, a DNS name or a ~/.ssh/config alias. Brackets around IPv6 are dropped. */
export function validateHost(value: string, field = '--host'): string {
  const v = value.trim().replace(/^\[(.*)\]$/, '$1')
  if (isIPv6(v) || isIPv4(v)) return v
  if (!/^[A-Za-z0-9_]([A-Za-z0-9._-]{0,252})$/.test(v)) {
    throw new UsageError(`${field}: "${v}" is not a host name, IP address or ~/.ssh/config alias.`, {field, suggestion: `For example ${field} 198.51.100.7 (no user@, no :port; use --user and --port).`})
  }
  return v
}

/** A login name on the server. */
export function validateUser(value: string, field = '--user'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(value)) {
    throw new UsageError(`${field}: "${value}" is not a valid login name.`, {field, suggestion: `For example ${field} deploy.`})
  }
  return value
}
