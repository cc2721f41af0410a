import {isIPv4, isIPv6} from 'node:net'
import {posix} from 'node:path'

import {UsageError} from '../errors.js'
import {RESERVED_PORTS, ROUTER_PORT} from '../net/entrypoints.js'
import {nonPublicReason} from './ip-ranges.js'
import {NAME_PATTERN} from './schema.js'
import {parseCertificate} from './x509.js'

/**
 * Value rules shared by flags and the context file. Each returns the normalised value or throws a UsageError
 * whose `field` is the flag the user typed, with a fix. Messages never echo secrets: neither the token nor a proxy
 * environment value is ever part of one.
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

/**
 * An SSH host: an IP address, a DNS name or a ~/.ssh/config alias (which may hold "_"). Brackets around IPv6 are
 * dropped. A name whose last label is a number is refused: the resolver would read `127.1`, `999.1.1.1` or
 * `0x7f000001` as some IPv4 address (or fail), never as the name it looks like.
 */
export function validateHost(value: string, field = '--host'): string {
  const v = value.trim().replace(/^\[(.*)\]$/, '$1')
  // Only a string with a colon can be IPv6: testing that first spares every load of the context file the
  // compilation of Node's large IPv6 expression (about 3 ms of start-up) when hosts are names or IPv4.
  if (v.includes(':') ? isIPv6(v) : isIPv4(v)) return v
  const fail = (why: string, fix = `For example ${field} 198.51.100.7 or ${field} server-1.example.com (no user@, no :port; use --user and --port).`): never => {
    throw new UsageError(`${field}: "${v}" ${why}.`, {field, suggestion: fix})
  }
  if (v === '') fail('is empty')
  if (/[\s\u0000-\u001f\u007f]/.test(v)) fail('contains spaces or control characters')
  const labels = v.replace(/\.$/, '').split('.')
  const last = labels[labels.length - 1]
  if (/^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last)) {
    fail('is not a valid IPv4 address (four numbers 0–255, each written out)', `Give all four parts in decimal, e.g. ${field} 198.51.100.7 (127.1 is not accepted for 127.0.0.1).`)
  }
  if (v.length > 253) fail(`is ${v.length} characters long; a host name has at most 253`)
  for (const label of labels) {
    if (label.length === 0) fail('has an empty label (two dots in a row, or a leading dot)')
    if (label.length > 63) fail(`has a label of ${label.length} characters; a label has at most 63`)
    if (!/^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(label)) fail('is not a host name, IP address or ~/.ssh/config alias; labels use letters, digits, "_" and inner hyphens')
  }
  return v
}

/**
 * The folder on the server that holds repositories. Every repository path, image and `repo delete --purge`'s
 * rm -rf is built from it, and Rediaccfiles get it unquoted in REPOSITORY_PATH: so it must be absolute and already
 * normalised (no "..", ".", "//" or trailing "/"), not the root folder, and made of characters no shell or systemd
 * unit reads specially.
 */
export function validateDatastore(value: string, field = '--datastore'): string {
  const fix = `Give an absolute folder, e.g. ${field} /mnt/rediacc.`
  const fail = (why: string, suggestion = fix): never => {
    throw new UsageError(`${field}: ${JSON.stringify(value)} ${why}.`, {field, suggestion})
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) fail('contains a control character (a line break or tab?)')
  if (!value.startsWith('/')) fail('is not an absolute path')
  const segments = value.split('/').slice(1)
  if (segments.includes('..')) fail('contains ".."')
  const normal = posix.normalize(value).replace(/(.)\/+$/, '$1')
  if (normal !== value) fail('is not in normal form', `Write it as ${field} ${normal}.`)
  if (value === '/') fail('is the root folder', fix)
  const odd = /[^A-Za-z0-9._+@/-]/.exec(value)
  if (odd) fail(`contains ${JSON.stringify(odd[0])}; use letters, digits and . _ - + @ only`)
  if (value.length > 1024) fail('is longer than 1024 characters')
  return value
}

const SIZE = /^([1-9][0-9]{0,15})([KMGT]?)$/i
const MIN_IMAGE_BYTES = 16 * 1024 ** 2
/**
 * Largest image: 16 TiB. The image is one sparse file on the datastore's filesystem, and 16 TiB is the largest file
 * ext4 (the usual datastore filesystem) holds with 4 KiB blocks; a larger size fails on the server only at the first
 * `repo up --mount`, after the repository was recorded. (XFS and btrfs allow more; nobody needs more here.)
 */
export const MAX_IMAGE_BYTES = 16 * 1024 ** 4

/** `2G` → `2G`: a repository image size as `truncate -s` takes it (K, M, G, T are powers of 1024). */
export function validateSize(value: string, field = '--size'): string {
  const m = SIZE.exec(value.trim())
  if (!m) throw new UsageError(`${field}: "${value}" is not a size.`, {field, suggestion: `Give a whole number with K, M, G or T, e.g. ${field} 2G.`})
  const bytes = Number(m[1]) * 1024 ** ' KMGT'.indexOf(m[2].toUpperCase() || ' ')
  if (bytes < MIN_IMAGE_BYTES) throw new UsageError(`${field}: ${value} is too small for an ext4 image.`, {field, suggestion: `Use at least ${field} 16M.`})
  if (bytes > MAX_IMAGE_BYTES) {
    throw new UsageError(`${field}: ${value} is larger than 16T, the largest file ext4 holds (the image is one file on the datastore).`, {field, suggestion: `Use at most ${field} 16T.`})
  }
  return `${m[1]}${m[2].toUpperCase()}`
}

/** A login name on the server. */
export function validateUser(value: string, field = '--user'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(value)) {
    throw new UsageError(`${field}: "${value}" is not a valid login name.`, {field, suggestion: `For example ${field} deploy.`})
  }
  return value
}

/** Let's Encrypt's staging directory, what `--acme-staging` sets (untrusted certificates, generous rate limits). */
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory'

/** An ACME directory URL: https, a host, nothing an ACME client or traefik.yml could misread. */
export function validateAcmeCaServer(value: string, field = '--acme-ca-server'): string {
  const v = value.trim()
  const fix = `Give the CA's ACME directory URL, e.g. ${field} https://ca.example.com/acme/acme/directory (or --acme-staging for Let's Encrypt's staging CA).`
  // The URL parser silently drops tabs and line breaks; refuse them instead of storing a different URL.
  if (v.length === 0 || /[\s\u0000-\u001f\u007f\\]/.test(v)) {
    throw new UsageError(`${field}: the URL is empty or contains spaces, backslashes or control characters.`, {field, suggestion: fix})
  }
  let url: URL
  try {
    url = new URL(v)
  } catch {
    throw new UsageError(`${field}: "${v}" is not a URL.`, {field, suggestion: fix})
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(`${field}: "${v}" uses ${url.protocol.replace(/:$/, '')}; an ACME directory must be served over https.`, {field, suggestion: fix})
  }
  // WHATWG URLs forgive "https:///x" (host "x"); Go's parser, which Traefik uses, reads no host there.
  if (url.hostname === '' || !/^https:\/\/[^/?#]/i.test(v)) throw new UsageError(`${field}: "${v}" has no host.`, {field, suggestion: fix})
  if (url.username || url.password) {
    throw new UsageError(`${field}: the URL contains a user name or password.`, {field, suggestion: 'Drop the "user:password@" part; ACME accounts authenticate with their key, not the URL.'})
  }
  return v
}

/** Largest CA bundle accepted; a full public root store is about 220 KB. */
const MAX_CA_PEM_BYTES = 1024 * 1024
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g

/**
 * The PEM text of one or more CA certificates Traefik must trust when talking to a private ACME CA (step-ca,
 * Pebble). Every block must be a CERTIFICATE that parses; a private key anywhere in the text is refused (the file
 * is stored in the context file and uploaded world-readable). Returns the certificates re-encoded as canonical PEM.
 */
export function validateCaCertificates(text: string, field = '--acme-ca-cert', source?: string): string {
  const what = source ? `"${source}"` : 'the PEM text'
  const fix = `Give a PEM file with the CA's certificate(s) only, e.g. ${field} ./root_ca.crt (step-ca: $(step path)/certs/root_ca.crt).`
  if (Buffer.byteLength(text) > MAX_CA_PEM_BYTES) throw new UsageError(`${field}: ${what} is larger than 1 MiB.`, {field, suggestion: fix})
  const keyMatch = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/.exec(text)
  if (keyMatch) {
    throw new UsageError(`${field}: ${what} contains a ${keyMatch[1]}; it would be stored in the context file and uploaded to the server.`, {
      field,
      suggestion: `Give only the CA's certificate: remove the ${keyMatch[1]} block, or extract the certificate with: openssl x509 -in FILE -out ca.pem`,
    })
  }
  const certificates: string[] = []
  let index = 0
  for (const match of text.matchAll(PEM_BLOCK)) {
    index++
    const label = match[1]
    if (label !== 'CERTIFICATE') {
      throw new UsageError(`${field}: block ${index} of ${what} is a ${label}, not a CERTIFICATE.`, {field, suggestion: fix})
    }
    let cert: ReturnType<typeof parseCertificate>
    try {
      cert = parseCertificate(match[0])
    } catch (error) {
      throw new UsageError(`${field}: certificate ${index} of ${what} does not parse (${(error as Error).message}).`, {field, suggestion: fix})
    }
    certificates.push(cert.toString())
  }
  // A BEGIN without its END (a truncated copy) would otherwise be skipped silently.
  const begins = text.match(/-----BEGIN /g)?.length ?? 0
  if (begins !== index) throw new UsageError(`${field}: ${what} has a "-----BEGIN" line without its matching "-----END" line.`, {field, suggestion: fix})
  if (certificates.length === 0) throw new UsageError(`${field}: ${what} holds no "-----BEGIN CERTIFICATE-----" block.`, {field, suggestion: fix})
  return certificates.map((c) => (c.endsWith('\n') ? c : `${c}\n`)).join('')
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/

/**
 * The resolvers lego asks in its DNS-01 propagation check: "1.1.1.1:53,[2606:4700::1111]:53". Each entry is an
 * IPv4 or IPv6 address or a DNS name with an optional port (IPv6 with a port in brackets); normalised to
 * host:port (":53" added, IPv6 bracketed and lower-cased), in the order given.
 */
export function validateDnsResolvers(value: string | readonly string[], field = '--dns-resolvers'): string[] {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [...value]
  const fix = `Give a comma-separated list of resolvers, e.g. ${field} 1.1.1.1:53,[2606:4700:4700::1111]:53 (port 53 when left out).`
  if (items.length === 0 || (items.length === 1 && items[0] === '')) {
    throw new UsageError(`${field}: no resolvers given.`, {field, suggestion: `${fix} To go back to the default resolvers use --unset ${field.replace(/^--/, '')}.`})
  }
  const seen = new Set<string>()
  for (const item of items) {
    const normalised = normaliseResolver(item, field, fix)
    if (seen.has(normalised)) throw new UsageError(`${field}: ${normalised} is listed twice.`, {field, suggestion: 'List each resolver once.'})
    seen.add(normalised)
  }
  return [...seen]
}

function normaliseResolver(item: string, field: string, fix: string): string {
  const fail = (why: string): never => {
    throw new UsageError(`${field}: "${item}" ${why}.`, {field, suggestion: fix})
  }
  if (item === '') throw new UsageError(`${field}: an entry is empty (two commas in a row, or one at an end).`, {field, suggestion: fix})
  if (item.includes('/')) fail('has a scheme or path; give host[:port] only')
  let host: string
  let port = '53'
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(item)
  if (bracketed) {
    host = bracketed[1].toLowerCase()
    if (bracketed[2] !== undefined) port = bracketed[2]
    if (!isIPv6(host) || host.includes('%')) fail('has brackets around something that is not an IPv6 address')
  } else if (item.split(':').length > 2) {
    // Two or more colons: a bare IPv6 address (a port would need brackets to be told apart).
    host = item.toLowerCase()
    if (!isIPv6(host) || host.includes('%')) fail('is not an IPv6 address; an IPv6 resolver with a port is written [ADDRESS]:PORT')
  } else {
    const colon = item.indexOf(':')
    host = (colon === -1 ? item : item.slice(0, colon)).toLowerCase().replace(/\.$/, '')
    if (colon !== -1) port = item.slice(colon + 1)
    if (!isIPv4(host)) {
      if (/^[0-9.]+$/.test(host)) fail('is not a valid IPv4 address')
      if (!DNS_NAME.test(host)) fail('is not an IP address or DNS name')
    }
  }
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) fail(`has the port "${port}"; a port is 1–65535`)
  return isIPv6(host) ? `[${host}]:${Number(port)}` : `${host}:${Number(port)}`
}

/** Environment names the proxy accepts: what a shell and docker compose's env file both read the same way. */
export const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/
/** Set with --cf-dns-token (stored as a secret, replaceable by RDC_CF_DNS_TOKEN), never through --proxy-env. */
export const CF_TOKEN_ENV = 'CF_DNS_API_TOKEN'

/** Whether a proxy environment variable holds a secret: its name says TOKEN, KEY, SECRET or PASSWORD. */
export function isSecretEnvKey(key: string): boolean {
  return /TOKEN|KEY|SECRET|PASSWORD/i.test(key)
}

/** A key for messages: never a value, and a key pasted by mistake (a long token) is shortened. */
function shownKey(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 12)}…` : key)
}

export function validateEnvKey(key: string, field = '--proxy-env'): string {
  if (!ENV_KEY.test(key)) {
    throw new UsageError(`${field}: ${shownKey(key)} is not a valid variable name; use A-Z, 0-9 and _ (not starting with a digit).`, {
      field,
      suggestion: `For example ${field} CLOUDFLARE_PROPAGATION_TIMEOUT=300 (names are upper case).`,
    })
  }
  if (key === CF_TOKEN_ENV) {
    throw new UsageError(`${field}: ${CF_TOKEN_ENV} is set with --cf-dns-token, not --proxy-env.`, {
      field,
      suggestion: 'Pipe it in: printf %s "$TOKEN" | rdc context set-infra <machine> --cf-dns-token -',
    })
  }
  return key
}

/**
 * A value for config.env. The file is read by docker compose, whose env-file parsers (Compose v2 and
 * docker-compose 1.x) strip quotes, expand "$VAR" and cut " #comments": such values are refused rather than
 * arriving changed. The value itself is never part of a message (it may be a secret).
 */
export function validateEnvValue(key: string, value: string, field = '--proxy-env'): string {
  const fail = (why: string, fix: string): never => {
    throw new UsageError(`${field}: the value of ${key} ${why}.`, {field, suggestion: fix})
  }
  if (value === '') fail('is empty', `To remove ${key} give ${field} ${key}= (nothing after "=").`)
  if (/[\r\n]/.test(value)) fail('contains a line break', 'An env file holds one line per variable; give the value on one line.')
  if (value.includes('\u0000')) fail('contains a NUL character', 'Give the value as plain text.')
  if (/[\u0001-\u001f\u007f]/.test(value)) fail('contains a control character', 'Give the value as plain text.')
  if (value.trim() !== value) fail('has leading or trailing whitespace', 'Remove the spaces around the value; an env file would not keep them.')
  if (/^["']/.test(value)) fail('starts with a quote', 'Give the value without quotes: docker compose would strip them.')
  if (value.includes('$')) fail('contains "$"', 'docker compose expands "$NAME" in config.env; give a value without "$".')
  if (/\s#/.test(value)) fail('contains " #"', 'docker compose reads " #" as the start of a comment in config.env; give a value without it.')
  return value
}

/** A whole proxy environment (as stored): every key and value valid. */
export function validateProxyEnv(env: Readonly<Record<string, string>>, field = 'proxyEnv'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(env).sort()) out[validateEnvKey(key, field)] = validateEnvValue(key, env[key], field)
  return out
}

/** Changes to the proxy environment from repeated "--proxy-env KEY=VALUE" ("KEY=" removes KEY). */
export interface ProxyEnvChanges {
  set: Record<string, string>
  remove: string[]
}

export function parseProxyEnvFlags(items: readonly string[], field = '--proxy-env'): ProxyEnvChanges {
  const changes: ProxyEnvChanges = {set: {}, remove: []}
  const seen = new Set<string>()
  items.forEach((item, i) => {
    const eq = item.indexOf('=')
    // No "=": the whole item may be a pasted secret, so it is not echoed.
    if (eq === -1) {
      throw new UsageError(`${field}: entry ${i + 1} has no "="; each entry is KEY=VALUE.`, {field, suggestion: `For example ${field} CLOUDFLARE_PROPAGATION_TIMEOUT=300; ${field} KEY= removes KEY.`})
    }
    const key = validateEnvKey(item.slice(0, eq), field)
    if (seen.has(key)) throw new UsageError(`${field}: ${key} is given twice.`, {field, suggestion: `Give ${key} once.`})
    seen.add(key)
    const value = item.slice(eq + 1)
    if (value === '') changes.remove.push(key)
    else changes.set[key] = validateEnvValue(key, value, field)
  })
  return changes
}
