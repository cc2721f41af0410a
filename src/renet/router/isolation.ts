/**
 * Repository isolation: the rules that keep one repository's labels from taking another repository's traffic or
 * reaching its services. These are our policy, not Traefik's; each rule is written against what Traefik will do
 * with the value (rules.ts reads rules as Traefik does; backend URLs are checked as Go's net/url parses them).
 *
 * - Hostnames are claimed as Traefik matches them: Go-unquoted, lower case, one trailing dot dropped. A name that
 *   cannot be a DNS name (control characters, non-ASCII, empty labels, …) is refused outright.
 * - A backend is the container's own service IP: the port is a port, the scheme one of Traefik's, and the URL made
 *   from them parses back to that IP and port.
 * - A forwardAuth address on this machine is the repository's own service IP; any other spelling of this machine
 *   (loopback, unspecified, link-local, IPv4 written as IPv6, its own addresses and names, localhost, names under
 *   the base domain) is refused.
 * - TCP routers on the HTTP entry points (web, websecure and twins) need TLS and named hosts: a TCP router there is
 *   matched before every repository's HTTP routers.
 */

export type Checked<T> = {ok: true; value: T} | {ok: false; reason: string}

const CONTROL = /[\u0000-\u001F\u007F]/
const NON_ASCII = /[^\u0000-\u007F]/
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

function show(text: string): string {
  return JSON.stringify(text)
}

/** True for a DNS name in lower case without a trailing dot: LDH labels of 1–63 characters, 253 in all. */
export function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => DNS_LABEL.test(l))
}

/** One trailing dot dropped and lower-cased: the form Traefik compares a request's host with. */
function matchForm(value: string): string {
  const lower = value.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/**
 * The hostname a Host()/HostSNI() argument claims (`*` for the TCP catch-all), or why it cannot be held. `literal`
 * is the argument as written (a carriage return inside a raw string is dropped by Go, so it is looked for there).
 */
export function hostnameClaim(value: string, literal: string = value, matcher: 'Host' | 'HostSNI' = 'Host'): Checked<string> {
  if (matcher === 'HostSNI' && value === '*') return {ok: true, value: '*'}
  if (CONTROL.test(literal) || CONTROL.test(value)) return {ok: false, reason: `${matcher}(${show(literal)}) has control characters`}
  if (NON_ASCII.test(value)) return {ok: false, reason: `${matcher}(${show(literal)}) is not ASCII: write an internationalised name in punycode (xn--…)`}
  const name = matchForm(value)
  if (!isDnsName(name)) return {ok: false, reason: `${matcher}(${show(literal)}) is not a DNS name`}
  return {ok: true, value: name}
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses, as Go's net package reads them (Traefik dials with it).

/** An IPv4 address as Go's net.ParseIP takes it: four decimal parts, no leading zeros. Null for anything else. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  let v = 0
  for (const p of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null
    v = v * 256 + Number(p)
  }

  return v
}

/** An IPv6 address (no zone) as eight 16-bit groups, with a dotted IPv4 tail allowed as Go allows it. */
export function parseIPv6(text: string): number[] | null {
  if (text.includes('%') || !/^[0-9a-fA-F:.]+$/.test(text)) return null
  const halves = text.split('::')
  if (halves.length > 2) return null
  const groups = (s: string): number[] | null => {
    if (s === '') return []
    const out: number[] = []
    const parts = s.split(':')
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p)
        if (v4 === null) return null
        out.push(Math.floor(v4 / 65_536), v4 % 65_536)
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null
        out.push(Number.parseInt(p, 16))
      }
    }

    return out
  }

  const head = groups(halves[0])
  const tail = halves.length === 2 ? groups(halves[1]) : []
  if (head === null || tail === null) return null
  if (halves.length === 1) return head.length === 8 ? head : null
  if (head.length + tail.length > 7) return null
  return [...head, ...Array.from({length: 8 - head.length - tail.length}, () => 0), ...tail]
}

/** True when `ip` (written as Go reads an IPv4 address) is a service address of the repository: its /26, slots 0–60. */
export function ownsIp(networkId: number, ip: string): boolean {
  const v = parseIPv4(ip)
  if (v === null || v >>> 24 !== 127) return false
  const low = v & 0xff_ff_ff
  return low >= networkId + 2 && low <= networkId + 62
}

/** Why an IPv4 address is this machine or no place for a backend: loopback, unspecified, link-local, multicast. */
function localIPv4(v: number): string | null {
  const a = v >>> 24
  if (a === 127) return 'a loopback address'
  if (a === 0) return 'an unspecified address (this machine)'
  if (a === 169 && ((v >>> 16) & 255) === 254) return 'a link-local address'
  if (a >= 224) return 'a multicast or reserved address'
  return null
}

/** What an IPv6 address is, when it is this machine, IPv4 in disguise, or no place for a backend. */
function localIPv6(g: number[]): string | null {
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeros(8)) return 'the unspecified address (this machine)'
  if (zeros(7) && g[7] === 1) return 'the loopback address'
  if (zeros(5) && g[5] === 0xff_ff) return 'an IPv4 address written as IPv6 (IPv4-mapped)'
  if (zeros(6)) return 'an IPv4 address written as IPv6 (IPv4-compatible)'
  if (g[0] === 0x64 && g[1] === 0xff_9b && g.slice(2, 6).every((x) => x === 0)) return 'an IPv4 address written as IPv6 (NAT64)'
  if ((g[0] & 0xff_c0) === 0xfe_80) return 'a link-local address'
  if ((g[0] & 0xff_00) === 0xff_00) return 'a multicast address'
  return null
}

function sameIPv6(a: number[], b: number[]): boolean {
  return a.every((x, i) => x === b[i])
}

// ---------------------------------------------------------------------------------------------------------------
// URLs, as Go's net/url.Parse splits them.

export interface GoUrl {
  scheme: string
  userinfo: string | null
  /** u.Host: host and optional port, brackets kept. */
  host: string
  /** u.Hostname(): brackets removed. */
  hostname: string
  /** u.Port(): '' when absent. */
  port: string
}

const USERINFO = /^[\w\-.~!$&'()*+,;=:%@]*$/

function validOptionalPort(colonPort: string): boolean {
  return colonPort === '' || /^:\d*$/.test(colonPort)
}

/**
 * The parts of an absolute URL that decide where Go connects, split as net/url.Parse splits them: fragment, then
 * scheme, then query, then `//authority` up to the first '/', user info up to the LAST '@', a bracketed IPv6 host
 * up to the last ']', else a port after the last ':'. Null when Go would refuse it or it names no host.
 */
export function parseGoUrl(raw: string): GoUrl | null {
  if (CONTROL.test(raw)) return null
  const [beforeFragment] = raw.split('#', 1)
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(beforeFragment)
  if (!m) return null
  const scheme = m[1].toLowerCase()
  let rest = m[2]
  rest = rest.endsWith('?') && rest.indexOf('?') === rest.length - 1 ? rest.slice(0, -1) : rest.split('?', 1)[0]
  if (!rest.startsWith('//')) return null
  let authority = rest.slice(2)
  const slash = authority.indexOf('/')
  if (slash >= 0) authority = authority.slice(0, slash)
  const at = authority.lastIndexOf('@')
  const userinfo = at >= 0 ? authority.slice(0, at) : null
  if (userinfo !== null && !USERINFO.test(userinfo)) return null
  const host = at >= 0 ? authority.slice(at + 1) : authority
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0 || !validOptionalPort(host.slice(close + 1))) return null
  } else {
    const colon = host.lastIndexOf(':')
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return null
  }

  // Hostname() and Port(): split at the last ':' when what follows is a valid port, then strip brackets.
  let hostname = host
  let port = ''
  const colon = host.lastIndexOf(':')
  if (colon >= 0 && validOptionalPort(host.slice(colon))) {
    hostname = host.slice(0, colon)
    port = host.slice(colon + 1)
  }

  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1)
  if (hostname === '') return null
  return {scheme, userinfo, host, hostname, port}
}

// ---------------------------------------------------------------------------------------------------------------
// Backends of the container's own service.

export const SERVER_SCHEMES = ['http', 'https', 'h2c'] as const

/** `loadbalancer.server.port`: a port, 1–65535, digits only (written without leading zeros in the URL). */
export function backendPort(raw: unknown): Checked<string> {
  const text = String(raw)
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65_535) return {ok: false, reason: `port ${show(text)} is not a port (1-65535, digits only)`}
  return {ok: true, value: String(Number(text))}
}

/** `loadbalancer.server.scheme`: one of Traefik's (http, https, h2c); absent means http. */
export function backendScheme(raw: unknown): Checked<string> {
  if (raw === undefined) return {ok: true, value: 'http'}
  const text = String(raw).toLowerCase()
  if (!(SERVER_SCHEMES as readonly string[]).includes(text)) return {ok: false, reason: `scheme ${show(String(raw))} is not one of ${SERVER_SCHEMES.join(', ')}`}
  return {ok: true, value: text}
}

/** The server URL for the container's own IP, checked to parse back (as Go parses it) to that IP and port. */
export function serverUrl(scheme: string, ip: string, port: string): Checked<string> {
  const url = `${scheme}://${ip}:${port}`
  const parsed = parseGoUrl(url)
  if (parsed === null || parsed.hostname !== ip || parsed.port !== port || parsed.userinfo !== null) return {ok: false, reason: `backend URL ${show(url)} does not lead to ${ip}:${port}`}
  return {ok: true, value: url}
}

/** `loadbalancer.healthCheck.path`: Traefik resolves it against the server URL, so it must be a path, not a URL. */
export function healthCheckPathProblem(path: unknown): string | null {
  if (path === undefined) return null
  const text = String(path)
  if (CONTROL.test(text) || !text.startsWith('/') || text.startsWith('//') || text.includes('\\')) {
    return `health check path ${show(text)} must be a path on the service (one leading '/'), not another address`
  }

  return null
}

// ---------------------------------------------------------------------------------------------------------------
// forwardAuth.

export interface MachineIdentity {
  baseDomain: string | null
  /** This machine's own addresses (every interface). */
  localAddresses?: readonly string[]
  /** Names that lead to this machine without DNS: its hostname and the names in its /etc/hosts. */
  localNames?: readonly string[]
}

function isLocalAddress(ip: string, machine: MachineIdentity): boolean {
  const v4 = parseIPv4(ip)
  const v6 = v4 === null ? parseIPv6(ip) : null
  for (const a of machine.localAddresses ?? []) {
    if (v4 !== null && parseIPv4(a) === v4) return true
    const b = v6 === null ? null : parseIPv6(a.split('%')[0])
    if (v6 !== null && b !== null && sameIPv6(v6, b)) return true
  }

  return false
}

/** Null when a forwardAuth address may be used by repository `networkId`, else why not. */
export function forwardAuthProblem(address: unknown, networkId: number, machine: MachineIdentity): string | null {
  const text = String(address)
  const what = `forwardAuth address ${show(text)}`
  const url = parseGoUrl(text)
  if (url === null) return `${what} is not an absolute http(s) URL with a host, as Go reads URLs`
  if (url.scheme !== 'http' && url.scheme !== 'https') return `${what}: scheme ${url.scheme} (only http and https)`
  if (url.port !== '' && backendPort(url.port).ok === false) return `${what}: port ${url.port} is not a port`
  const host = url.hostname
  if (host.includes('%')) return `${what}: escapes and zones in the host are refused`
  const v4 = parseIPv4(host)
  if (v4 !== null) {
    if (ownsIp(networkId, host)) return null
    const local = localIPv4(v4)
    if (local !== null) return `${what} is ${local}: on this machine only the repository's own service IPs are allowed`
    if (isLocalAddress(host, machine)) return `${what} is this machine's own address: use the repository's service IP`
    return null
  }

  if (url.host.startsWith('[')) {
    const v6 = parseIPv6(host)
    if (v6 === null) return `${what}: ${host} is not an IPv6 address`
    const local = localIPv6(v6)
    if (local !== null) return `${what} is ${local}: on this machine only the repository's own service IPs (IPv4) are allowed`
    if (isLocalAddress(host, machine)) return `${what} is this machine's own address: use the repository's service IP`
    return null
  }

  if (NON_ASCII.test(host)) return `${what}: the host is not ASCII (Go maps it through IDNA; write it in punycode)`
  const name = matchForm(host)
  const labels = name.split('.')
  // No DNS name ends in a number: 127.1, 2130706433 and 0x7f.1 are address spellings some resolvers accept.
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels.at(-1) ?? '')) return `${what}: ${host} is an address spelling, not a canonical IPv4 address or a name`
  if (!isDnsName(name)) return `${what}: ${host} is not a DNS name`
  if (name === 'localhost' || name.endsWith('.localhost')) return `${what} is this machine (localhost)`
  if ((machine.localNames ?? []).some((n) => matchForm(n) === name)) return `${what}: ${host} is this machine's own name`
  const base = machine.baseDomain?.toLowerCase()
  if (base && (name === base || name.endsWith(`.${base}`))) return `${what}: ${host} is routed by this machine's proxy (base domain ${base}); use the service IP of the auth service`
  return null
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points shared by every repository.

/** HTTP entry points (web, websecure and their -v6 twins): everything that is not a tcp-/udp- port. */
export function isHttpEntrypoint(name: string): boolean {
  return !/^(?:tcp|udp)-\d+(?:-v6)?$/.test(name)
}

/**
 * Null when a TCP router may sit on these entry points. On an HTTP entry point Traefik tries TCP routers before
 * the HTTP routers of every repository: without TLS (only HostSNI(`*`) is allowed then) it takes all plain-HTTP
 * traffic, the HTTPS redirect included; with TLS and HostSNI(`*`) every name no HTTPS router has.
 */
export function sharedEntrypointProblem(router: string, entryPoints: readonly string[], hosts: readonly string[], tls: boolean): string | null {
  const shared = entryPoints.filter((ep) => isHttpEntrypoint(ep))
  if (shared.length === 0) return null
  if (!tls) return `tcp router ${router}: a TCP router without TLS on ${shared.join(', ')} would take every repository's HTTP traffic there; use a tcp-<port> entry point`
  if (hosts.includes('*')) return `tcp router ${router}: HostSNI(\`*\`) on ${shared.join(', ')} would take every name no HTTPS router has; name your own hosts`
  return null
}
