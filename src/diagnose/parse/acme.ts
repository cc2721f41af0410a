/**
 * ACME issuance errors from Traefik's log (JSON lines, `log.format: json`), and what each means in plain words.
 * Traefik 3 logs a failed issuance as
 *   {"level":"error","providerName":"letsencrypt.acme","acmeCA":"…","ACME CA":"…","routerName":"…","rule":"…",
 *    "domains":["app.example.com"],"error":"unable to generate a certificate for the domains [app.example.com]: …",
 *    "time":"…","message":"Unable to obtain ACME certificate for domains"}
 * and a failed renewal as {"level":"error",…,"error":"…","message":"Error renewing certificate from LE: {app.example.com []}"}.
 */

/** The gather script's last line of the proxy-log section: `docker logs`' exit code (0 = the log was read). */
export const DOCKER_RC_MARK = '@@rdc-docker-rc'

export interface AcmeLogError {
  /** Traefik's `time` field as logged (RFC 3339). */
  time?: string
  /** The names the error is about (`domains`, `domain`/`SANs`, or read from the message). */
  domains: string[]
  message: string
  /** Traefik's `error` field, with anything secret-looking masked. */
  error: string
  /** The ACME directory Traefik used. */
  ca?: string
  /** Position in the log: later lines are newer when times tie or are missing. */
  line: number
}

export interface AcmeLog {
  /** `docker logs` ran and exited 0: an empty error list then means "nothing logged", not "not looked". */
  read: boolean
  errors: AcmeLogError[]
}

/** Masks what could be a credential, should one ever reach an error text (Authorization headers, KEY=… pairs). */
export function redactSecrets(text: string): string {
  return text
    .replace(/(Bearer\s+)[^\s"',;]+/gi, '$1***')
    .replace(/\b((?:[A-Z0-9]+_)*(?:TOKEN|API_KEY|KEY|SECRET|PASSWORD)\s*[=:]\s*)[^\s"',;]+/g, '$1***')
    .replace(/(X-Auth-Key:\s*)\S+/gi, '$1***')
}

const normal = (name: string): string => name.toLowerCase().replace(/\.$/, '')

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : typeof v === 'string' && v !== '' ? [v] : []
}

/** `{app.example.com [www.example.com]}` or `{Main:app.example.com SANs:[…]}` (Go's %v of a Domain) → names. */
function goDomain(text: string): string[] {
  const m = /\{(?:Main:)?([^\s{}[\]]+)\s+(?:SANs:)?\[([^\]]*)\]\}/.exec(text)
  return m ? [m[1]!, ...m[2]!.split(/\s+/).filter((s) => s !== '')] : []
}

/** `unable to generate a certificate for the domains [a b]` → [a, b]. */
function errorDomains(error: string): string[] {
  const m = /for the domains \[([^\]]*)\]/.exec(error)
  return m ? m[1]!.split(/[\s,]+/).filter((s) => s !== '') : []
}

function isAcmeLine(o: Record<string, unknown>): boolean {
  const provider = typeof o.providerName === 'string' ? o.providerName : ''
  const message = typeof o.message === 'string' ? o.message : ''
  return provider.endsWith('.acme') || /acme|certificate/i.test(message)
}

/**
 * The ACME errors in Traefik's log, oldest first. Lines that are not JSON, carry no `error`, or are not about
 * ACME are ignored; so is a line cut short by the gatherer's size limit.
 */
export function parseAcmeLog(output: string): AcmeLog {
  const errors: AcmeLogError[] = []
  let read = false
  const lines = output.split('\n')
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim()
    const rc = new RegExp(`^${DOCKER_RC_MARK} (\\d+)$`).exec(line)
    if (rc) {
      read = rc[1] === '0'
      continue
    }
    if (!line.startsWith('{')) continue
    let o: unknown
    try {
      o = JSON.parse(line)
    } catch {
      continue
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) continue
    const rec = o as Record<string, unknown>
    if (typeof rec.error !== 'string' || rec.error === '' || !isAcmeLine(rec)) continue
    const message = typeof rec.message === 'string' ? rec.message : ''
    const listed = [...strings(rec.domains), ...strings(rec.domain), ...strings(rec.SANs)]
    const domains = [...new Set((listed.length > 0 ? listed : [...goDomain(message), ...errorDomains(rec.error)]).map(normal))]
    const ca = typeof rec.acmeCA === 'string' ? rec.acmeCA : typeof rec['ACME CA'] === 'string' ? (rec['ACME CA'] as string) : undefined
    errors.push({
      ...(typeof rec.time === 'string' ? {time: rec.time} : {}),
      domains,
      message,
      error: redactSecrets(rec.error),
      ...(ca === undefined || ca === '' ? {} : {ca}),
      line: i,
    })
  }
  return {read, errors}
}

/** A certificate name covers `name` exactly, or as a wildcard for one leftmost label. */
function covers(domain: string, name: string): boolean {
  if (domain === name) return true
  if (!domain.startsWith('*.')) return false
  const dot = name.indexOf('.')
  return dot > 0 && name.slice(dot + 1) === domain.slice(2)
}

function namesIn(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[^a-z0-9.-])${escaped}($|[^a-z0-9-])`, 'i').test(text)
}

function timeOf(e: AcmeLogError): number {
  const t = e.time === undefined ? Number.NaN : Date.parse(e.time)
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t
}

/** The most recent error about `name`: its domains cover it, or the error text names it. */
export function latestAcmeError(log: AcmeLog | undefined, name: string): AcmeLogError | undefined {
  const n = normal(name)
  let best: AcmeLogError | undefined
  for (const e of log?.errors ?? []) {
    const about = e.domains.length > 0 ? e.domains.some((d) => covers(d, n)) : namesIn(`${e.message} ${e.error}`, n)
    if (!about) continue
    if (best === undefined || timeOf(e) > timeOf(best) || (timeOf(e) === timeOf(best) && e.line > best.line)) best = e
  }
  return best
}

export type AcmeCause = 'cloudflare-auth' | 'cloudflare-zone' | 'dns' | 'rate-limited' | 'acme-server' | 'other'

export interface AcmeDiagnosis {
  cause: AcmeCause
  /** Plain words, for the finding's detail. */
  summary: string
  fix: string
}

/** The text of a bracket opened at `start`, up to its matching `]` (errors hold brackets of their own). */
function bracketed(text: string, start: number): string | undefined {
  let depth = 0
  for (let i = start; i < text.length; i++) {
    if (text[i] === '[') depth++
    else if (text[i] === ']' && --depth === 0) return text.slice(start + 1, i)
  }
  return undefined
}

/**
 * For several names in one order lego reports each name's problem; keep the one for `name`. Two shapes: lego
 * v5 (Traefik 3.7.15) "resolver: one or more domains had a problem: [name: problem]", lego v4
 * "error: one or more domains had a problem:\n[name] problem\n". Anything else is returned whole.
 */
export function problemFor(error: string, name: string): string {
  const n = normal(name)
  const lower = error.toLowerCase()
  const at = lower.indexOf(`[${n}: `)
  if (at >= 0) {
    const inner = bracketed(error, at)
    if (inner !== undefined) return inner.slice(n.length + 2).trim()
  }
  const mine = error.split(/\n(?=\[[^\]\s]+\])/).find((p) => p.toLowerCase().startsWith(`[${n}]`))
  return (mine ?? error).trim()
}

/** The error without Traefik's and lego's wrapping, on one line, at most `max` characters. */
export function trimError(error: string, max = 300): string {
  const gist = error
    .replace(/^unable to generate a certificate for the domains \[[^\]]*\]:\s*/i, '')
    .replace(/^(error|resolver): one or more domains had a problem:\s*/i, '')
    .replace(/\\n|\s+/g, ' ')
    .trim()
  return gist.length > max ? `${gist.slice(0, max - 1)}…` : gist
}

const setToken = (m: string): string => `rdc context set-infra ${m} --cf-dns-token - && rdc context push-infra ${m}`

/**
 * What an ACME error means and what fixes it. Order matters: Cloudflare's authentication errors also say
 * "failed to find zone", and a DNS lookup failure says "could not find zone for domain".
 */
export function classifyAcmeError(error: string, machine: string, ca?: string): AcmeDiagnosis {
  const e = error
  const quoted = trimError(e)
  const push = `rdc context push-infra ${machine}`
  if (/urn:ietf:params:acme:error:rateLimited|too many (certificates|failed authori[sz]ations|new orders|registrations|requests)/i.test(e)) {
    const retry = /retry after ([0-9-]+ [0-9:]+ UTC|[0-9TZ:.-]+)/i.exec(e)
    return {
      cause: 'rate-limited',
      summary: `the ACME CA's rate limit was hit${retry ? ` (retry after ${retry[1]})` : ''}: ${quoted}`,
      fix: `wait for the limit to pass; while experimenting use Let's Encrypt staging: rdc context set-infra ${machine} --acme-staging && ${push}`,
    }
  }
  const cloudflare = /cloudflare/i.test(e)
  if (cloudflare && /some credentials information are missing|CLOUDFLARE_DNS_API_TOKEN|CF_DNS_API_TOKEN/i.test(e)) {
    return {cause: 'cloudflare-auth', summary: 'Traefik has no Cloudflare API token', fix: `set a token with Zone:Zone:Read and Zone:DNS:Edit: ${setToken(machine)}`}
  }
  const cfCodes = /\b(9109|10000|6003|6111|9106|9103|1000[0-9])\b/.exec(e)
  if (cloudflare && (cfCodes || /status code:? ?40[13]\b|\b40[13] (Forbidden|Unauthorized)|invalid access token|authentication error|invalid request headers|unauthori[sz]ed to access/i.test(e))) {
    const what = /\b(\d{4,5}): ([^;\n"\\]+)/.exec(e)
    return {
      cause: 'cloudflare-auth',
      summary: `Cloudflare refused the DNS API token${what ? ` (${what[1]}: ${what[2]!.trim()})` : cfCodes ? ` (${cfCodes[1]})` : ''}`,
      fix: `set a Cloudflare API token with Zone:Zone:Read and Zone:DNS:Edit on the zone: ${setToken(machine)}`,
    }
  }
  if (/time limit exceeded|propagation|did not return the expected TXT record|NXDOMAIN|SERVFAIL|could not find the start of authority|could not find zone for domain|urn:ietf:params:acme:error:dns\b|DNS problem/i.test(e)) {
    const rcode = /\b(NXDOMAIN|SERVFAIL|REFUSED)\b/.exec(e)?.[1]
    const kind = rcode ?? (/time limit exceeded|propagation/i.test(e) ? 'propagation timed out' : 'DNS lookup failed')
    return {
      cause: 'dns',
      summary: `the DNS-01 challenge record could not be seen (${kind}): ${quoted}`,
      fix:
        `check the zone's NS records are Cloudflare's and that the resolvers Traefik asks can reach them ` +
        `(rdc context set-infra ${machine} --dns-resolvers 8.8.8.8:53,9.9.9.9:53 && ${push}); if the record is only slow to appear, re-run after it propagates`,
    }
  }
  // Cloudflare's API unreachable from the server is none of the causes below: quoted as it is.
  const network = /dial tcp|no such host|i\/o timeout|connection refused|TLS handshake timeout|context deadline exceeded/i.test(e)
  if (cloudflare && network) return {cause: 'other', summary: `Traefik could not reach Cloudflare's API: ${quoted}`, fix: "the server needs outbound HTTPS to api.cloudflare.com and working DNS; re-run when it has"}
  if (cloudflare && /zone could not be found|failed to find zone|ambiguous zone/i.test(e)) {
    const zone = /failed to find zone ([^\s:]+?)\.?:/.exec(e)?.[1]
    return {
      cause: 'cloudflare-zone',
      summary: `Cloudflare has no zone${zone ? ` ${zone}` : ''} for the token's account`,
      fix:
        `the token's account must hold the zone${zone ? ` ${zone}` : ''} (give the token Zone:Zone:Read and Zone:DNS:Edit on it: ${setToken(machine)}), ` +
        `or the base domain is wrong: rdc context set-infra ${machine} --base-domain <domain> && ${push}`,
    }
  }
  if (/x509:|certificate signed by unknown authority|failed to verify certificate|cannot get ACME client|get directory at|acme: error: 5\d\d|new-nonce|new-acct|connection refused|no such host|i\/o timeout|dial tcp/i.test(e)) {
    return {
      cause: 'acme-server',
      summary: `Traefik cannot reach or does not trust the ACME server${ca ? ` ${ca}` : ''}: ${quoted}`,
      fix:
        `check the ACME directory URL (rdc context set-infra ${machine} --acme-ca-server <url>) and, for a private CA, its root ` +
        `(--acme-ca-cert <file>), then ${push}; the server needs outbound HTTPS to it`,
    }
  }
  return {cause: 'other', summary: `ACME error: ${quoted}`, fix: `see Traefik's ACME log: sudo docker logs rediacc-proxy --since 24h 2>&1 | grep -i acme`}
}
