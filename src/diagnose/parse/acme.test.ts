import {execFileSync} from 'node:child_process'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {DEFAULT_ENDPOINTS} from '../gather/endpoints.js'
import {PROXY_LOG_LINE_CHARS, proxyLogFunction} from '../gather/script.js'
import {classifyAcmeError, DOCKER_RC_MARK, latestAcmeError, parseAcmeLog, problemFor, redactSecrets, trimError, type AcmeCause} from './acme.js'

const LE = 'https://acme-v02.api.letsencrypt.org/directory'
const NAME = 'app.example.com'

/**
 * A failed issuance as Traefik 3 logs it (zerolog JSON; the ACME provider's context repeats providerName, and
 * carries both "acmeCA" and "ACME CA").
 */
function issuanceLine(o: {domains: string[]; error: string; time: string; ca?: string; level?: string}): string {
  const ca = o.ca ?? LE
  const rule = `Host(\`${o.domains[0]}\`)`
  return (
    `{"level":"${o.level ?? 'error'}","providerName":"letsencrypt.acme","acmeCA":${JSON.stringify(ca)},"providerName":"letsencrypt.acme",` +
    `"ACME CA":${JSON.stringify(ca)},"routerName":"my-app-webapp@http","rule":${JSON.stringify(rule)},"error":${JSON.stringify(o.error)},` +
    `"domains":${JSON.stringify(o.domains)},"time":"${o.time}","message":"Unable to obtain ACME certificate for domains"}`
  )
}

/** lego's wrapping of one name's challenge problem, under Traefik's. */
const problem = (name: string, text: string): string =>
  `unable to generate a certificate for the domains [${name}]: error: one or more domains had a problem:\n[${name}] [${name}] ${text}\n`

const ERRORS: Record<string, {error: string; cause: AcmeCause; summary: RegExp | string; fix: string}> = {
  'Cloudflare 9109 invalid token': {
    error: problem(NAME, 'acme: error presenting token: cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token'),
    cause: 'cloudflare-auth',
    summary: 'Cloudflare refused the DNS API token (9109: Invalid access token)',
    fix: 'rdc context set-infra m1 --cf-dns-token - && rdc context push-infra m1',
  },
  'Cloudflare 10000 authentication error': {
    error: problem(NAME, 'acme: error presenting token: cloudflare: failed to create TXT record: [status code 403] 10000: Authentication error'),
    cause: 'cloudflare-auth',
    summary: 'Cloudflare refused the DNS API token (10000: Authentication error)',
    fix: 'Zone:Zone:Read and Zone:DNS:Edit',
  },
  'Cloudflare 6003 bad headers': {
    error: problem(NAME, 'acme: error presenting token: cloudflare: failed to find zone example.com.: [status code 400] 6003: Invalid request headers; 6111: Invalid format for Authorization header'),
    cause: 'cloudflare-auth',
    summary: 'Cloudflare refused the DNS API token (6003: Invalid request headers)',
    fix: '--cf-dns-token -',
  },
  'Cloudflare plain 403': {
    error: problem(NAME, 'acme: error presenting token: cloudflare: failed to find zone example.com.: unexpected status code: [status code: 403] body: forbidden'),
    cause: 'cloudflare-auth',
    summary: 'Cloudflare refused the DNS API token',
    fix: '--cf-dns-token -',
  },
  'no token at all': {
    error: 'cannot get ACME client cloudflare: some credentials information are missing: CLOUDFLARE_EMAIL,CLOUDFLARE_API_KEY or some credentials information are missing: CLOUDFLARE_DNS_API_TOKEN,CLOUDFLARE_ZONE_API_TOKEN',
    cause: 'cloudflare-auth',
    summary: 'Traefik has no Cloudflare API token',
    fix: '--cf-dns-token -',
  },
  'zone not in the account': {
    error: problem(NAME, 'acme: error presenting token: cloudflare: failed to find zone example.com.: zone could not be found'),
    cause: 'cloudflare-zone',
    summary: "Cloudflare has no zone example.com for the token's account",
    fix: 'or the base domain is wrong: rdc context set-infra m1 --base-domain <domain> && rdc context push-infra m1',
  },
  'propagation timeout': {
    error: problem(NAME, 'propagation: time limit exceeded: last error: NS ns1.cloudflare.com.:53 did not return the expected TXT record [fqdn: _acme-challenge.app.example.com., value: 3q2-7]: '),
    cause: 'dns',
    summary: /^the DNS-01 challenge record could not be seen \(propagation timed out\): \[app\.example\.com\] \[app\.example\.com\] propagation: time limit exceeded/,
    fix: 'rdc context set-infra m1 --dns-resolvers 8.8.8.8:53,9.9.9.9:53 && rdc context push-infra m1',
  },
  'NXDOMAIN at the CA': {
    error: problem(NAME, 'invalid authorization: acme: error: 400 :: urn:ietf:params:acme:error:dns :: DNS problem: NXDOMAIN looking up TXT for _acme-challenge.app.example.com - check that a DNS record exists for this domain'),
    cause: 'dns',
    summary: /^the DNS-01 challenge record could not be seen \(NXDOMAIN\)/,
    fix: '--dns-resolvers',
  },
  'SERVFAIL finding the zone': {
    error: problem(NAME, "acme: error presenting token: cloudflare: could not find zone for domain \"app.example.com\": unexpected response for 'example.com.' [question='example.com. IN  SOA', code=SERVFAIL]"),
    cause: 'dns',
    summary: /^the DNS-01 challenge record could not be seen \(SERVFAIL\)/,
    fix: '--dns-resolvers',
  },
  'rate limited': {
    error:
      'unable to generate a certificate for the domains [app.example.com]: acme: error: 429 :: POST :: https://acme-v02.api.letsencrypt.org/acme/new-order :: ' +
      'urn:ietf:params:acme:error:rateLimited :: too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s, retry after 2026-12-01 10:00:00 UTC: see https://letsencrypt.org/docs/rate-limits/',
    cause: 'rate-limited',
    summary: /^the ACME CA's rate limit was hit \(retry after 2026-12-01 10:00:00 UTC\): acme: error: 429/,
    fix: 'rdc context set-infra m1 --acme-staging && rdc context push-infra m1',
  },
  'private CA not trusted': {
    error: `cannot get ACME client get directory at 'https://pebble:14000/dir': Get "https://pebble:14000/dir": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    cause: 'acme-server',
    summary: /^Traefik cannot reach or does not trust the ACME server https:\/\/pebble:14000\/dir: cannot get ACME client get directory at/,
    fix: '--acme-ca-server <url>) and, for a private CA, its root (--acme-ca-cert <file>)',
  },
  'ACME server unreachable': {
    error: `cannot get ACME client get directory at 'https://pebble:14000/dir': Get "https://pebble:14000/dir": dial tcp 10.0.0.9:14000: connect: connection refused`,
    cause: 'acme-server',
    summary: /^Traefik cannot reach or does not trust the ACME server/,
    fix: '--acme-ca-server',
  },
  'anything else is quoted': {
    error: problem(NAME, 'acme: error: 400 :: POST :: https://acme-v02.api.letsencrypt.org/acme/new-order :: urn:ietf:params:acme:error:rejectedIdentifier :: Invalid identifiers requested'),
    cause: 'other',
    summary: 'ACME error: [app.example.com] [app.example.com] acme: error: 400 :: POST :: https://acme-v02.api.letsencrypt.org/acme/new-order :: urn:ietf:params:acme:error:rejectedIdentifier :: Invalid identifiers requested',
    fix: 'sudo docker logs rediacc-proxy --since 24h 2>&1 | grep -i acme',
  },
}

/**
 * Real lines of Traefik 3.7.15 (lego v5.5.2) against Pebble and the Cloudflare API stand-in, verbatim from
 * test/support/acme/README.md: a refused token, lego's clean-up warning (its `error` is an object), and a zone
 * walk answered REFUSED (the README elides that line's repeated keys with "…"; they are the first line's).
 */
const REAL_9109 = "{\"level\":\"error\",\"providerName\":\"letsencrypt.acme\",\"acmeCA\":\"https://127.0.0.202:46301/dir\",\"providerName\":\"letsencrypt.acme\",\"ACME CA\":\"https://127.0.0.202:46301/dir\",\"routerName\":\"app@file\",\"rule\":\"Host(`app.example.com`)\",\"error\":\"unable to generate a certificate for the domains [app.example.com]: resolver: one or more domains had a problem: [app.example.com: dns01: error presenting token (app.example.com): cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token]\",\"domains\":[\"app.example.com\"],\"time\":\"2026-12-06T18:04:21Z\",\"message\":\"Unable to obtain ACME certificate for domains\"}"
const REAL_CLEANUP = "{\"level\":\"warn\",\"time\":\"2026-12-06T18:02:02Z\",\"domain\":\"app.example.com\",\"error\":{\"error\":\"cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token\",\"kind\":\"*fmt.wrapError\",\"stack\":null},\"lib\":\"lego\",\"time\":\"2026-12-06T18:02:02Z\",\"caller\":\"github.com/go-acme/lego/v5@v5.5.2/log/logger.go:43\",\"message\":\"Cleaning up failed.\"}"
const REAL_REFUSED = "{\"level\":\"error\",\"providerName\":\"letsencrypt.acme\",\"acmeCA\":\"https://127.0.0.202:46301/dir\",\"providerName\":\"letsencrypt.acme\",\"ACME CA\":\"https://127.0.0.202:46301/dir\",\"routerName\":\"app@file\",\"rule\":\"Host(`app.example.com`)\",\"error\":\"unable to generate a certificate for the domains [app.example.com]: resolver: one or more domains had a problem: [app.example.com: dns01: error presenting token (app.example.com): cloudflare: could not find zone for domain \\\"app.example.com\\\": [fqdn=_acme-challenge.app.example.com.] unexpected response for '_acme-challenge.app.example.com.' [question='_acme-challenge.app.example.com. IN  SOA', code=REFUSED]]\",\"domains\":[\"app.example.com\"],\"time\":\"2026-12-06T18:05:24Z\",\"message\":\"Unable to obtain ACME certificate for domains\"}"

describe('a real Traefik 3.7.15 error line', () => {
  it('is read, its name’s problem picked out, and classified as the token refused', () => {
    const log = parseAcmeLog(`${REAL_CLEANUP}\n${REAL_9109}\n${DOCKER_RC_MARK} 0\n`)
    expect(log.errors).toHaveLength(1)
    const found = latestAcmeError(log, NAME)!
    expect(found).toMatchObject({domains: [NAME], ca: 'https://127.0.0.202:46301/dir', time: '2026-12-06T18:04:21Z'})
    const problem = problemFor(found.error, NAME)
    expect(problem).toBe('dns01: error presenting token (app.example.com): cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token')
    expect(classifyAcmeError(problem, 'm1', found.ca)).toMatchObject({cause: 'cloudflare-auth', summary: 'Cloudflare refused the DNS API token (9109: Invalid access token)'})
    expect(trimError(found.error)).toBe(`[${NAME}: ${problem}]`)
  })

  it('a zone walk answered REFUSED is a DNS problem, said as such', () => {
    const found = latestAcmeError(parseAcmeLog(REAL_REFUSED), NAME)!
    const problem = problemFor(found.error, NAME)
    expect(problem).toBe(
      `dns01: error presenting token (app.example.com): cloudflare: could not find zone for domain "app.example.com": [fqdn=_acme-challenge.app.example.com.] ` +
        `unexpected response for '_acme-challenge.app.example.com.' [question='_acme-challenge.app.example.com. IN  SOA', code=REFUSED]`,
    )
    const d = classifyAcmeError(problem, 'm1', found.ca)
    expect(d).toMatchObject({cause: 'dns', summary: expect.stringMatching(/^the DNS-01 challenge record could not be seen \(REFUSED\): dns01: error presenting token/)})
    expect(d.fix).toContain('--dns-resolvers')
  })

  it('several names in the newer wrapping: each gets its own problem', () => {
    const error = 'unable to generate a certificate for the domains [a.example.com b.example.com]: resolver: one or more domains had a problem: [a.example.com: first [x] problem, b.example.com: second]'
    expect(problemFor(error, 'a.example.com')).toBe('first [x] problem, b.example.com: second')
    // Not named in its own bracket: the whole error, which still names it.
    expect(problemFor(error, 'b.example.com')).toBe(error)
  })
})

describe('Traefik’s ACME errors, classified', () => {
  for (const [what, c] of Object.entries(ERRORS)) {
    it(what, () => {
      const ca = what === 'private CA not trusted' || what === 'ACME server unreachable' ? 'https://pebble:14000/dir' : LE
      const log = parseAcmeLog(issuanceLine({domains: [NAME], error: c.error, time: '2026-11-28T08:00:00Z', ca}))
      const found = latestAcmeError(log, NAME)
      expect(found).toBeDefined()
      const d = classifyAcmeError(problemFor(found!.error, NAME), 'm1', found!.ca)
      expect(d.cause).toBe(c.cause)
      if (typeof c.summary === 'string') expect(d.summary).toBe(c.summary)
      else expect(d.summary).toMatch(c.summary)
      expect(d.fix).toContain(c.fix)
    })
  }

  it('the summary quote is one line and at most 300 characters', () => {
    const long = problem(NAME, `acme: error: 400 :: ${'x'.repeat(600)}`)
    const d = classifyAcmeError(long, 'm1')
    expect(d.summary.length).toBeLessThan(320)
    expect(d.summary).not.toContain('\n')
    expect(trimError(long)).toMatch(/…$/)
  })
})

describe('reading the errors out of the log', () => {
  it('keeps ACME error lines only: non-JSON, cut-off, non-ACME and error-free lines are ignored', () => {
    const log = parseAcmeLog(
      [
        'time="2026-11-28T08:00:00Z" level=error msg="Unable to obtain ACME certificate for domains" error="old text format"',
        '{"level":"info","message":"Starting provider *acme.ChallengeTLSALPN"}',
        '{"level":"error","entryPointName":"websecure","error":"accept tcp: use of closed network connection","message":"Error while starting server"}',
        issuanceLine({domains: [NAME], error: 'cloudflare: failed to find zone example.com.: zone could not be found', time: '2026-11-28T08:00:00Z'}).slice(0, 120),
        'not json at all {',
        issuanceLine({domains: [NAME], error: 'cloudflare: failed to find zone example.com.: zone could not be found', time: '2026-11-28T08:01:00Z'}),
        `${DOCKER_RC_MARK} 0`,
      ].join('\n'),
    )
    expect(log.read).toBe(true)
    expect(log.errors).toHaveLength(1)
    expect(log.errors[0]).toMatchObject({domains: [NAME], time: '2026-11-28T08:01:00Z', ca: LE, message: 'Unable to obtain ACME certificate for domains'})
  })

  it('the newest error for a name wins; errors for other names are ignored', () => {
    const zone = 'cloudflare: failed to find zone example.com.: zone could not be found'
    const token = 'cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token'
    const log = parseAcmeLog(
      [
        issuanceLine({domains: [NAME], error: token, time: '2026-11-28T08:30:00Z'}),
        issuanceLine({domains: [NAME], error: zone, time: '2026-11-28T07:00:00Z'}),
        issuanceLine({domains: ['api.example.com'], error: zone, time: '2026-11-28T09:00:00Z'}),
        issuanceLine({domains: ['x.app.example.com'], error: zone, time: '2026-11-28T09:00:00Z'}),
      ].join('\n'),
    )
    expect(latestAcmeError(log, NAME)?.error).toBe(token)
    expect(latestAcmeError(log, 'App.Example.com.')?.error).toBe(token)
    expect(latestAcmeError(log, 'www.example.com')).toBeUndefined()
    expect(log.read).toBe(false)
    // Without times, the later line is the newer.
    const untimed = parseAcmeLog([token, zone].map((error) => JSON.stringify({level: 'error', providerName: 'letsencrypt.acme', domains: [NAME], error, message: 'Unable to obtain ACME certificate for domains'})).join('\n'))
    expect(latestAcmeError(untimed, NAME)?.error).toBe(zone)
  })

  it('finds the name in a wildcard, in a renewal message, or in the error text when no domains are given', () => {
    const wildcard = parseAcmeLog(issuanceLine({domains: ['*.example.com'], error: 'x', time: '2026-11-28T08:00:00Z'}))
    expect(latestAcmeError(wildcard, NAME)).toBeDefined()
    expect(latestAcmeError(wildcard, 'a.b.example.com')).toBeUndefined()
    const renewal = parseAcmeLog(JSON.stringify({level: 'error', providerName: 'letsencrypt.acme', error: 'acme: error: 503', message: 'Error renewing certificate from LE: {Main:app.example.com SANs:[www.example.com]}'}))
    expect(renewal.errors[0]!.domains).toEqual([NAME, 'www.example.com'])
    expect(latestAcmeError(renewal, 'www.example.com')).toBeDefined()
    const textOnly = parseAcmeLog(JSON.stringify({level: 'error', providerName: 'letsencrypt.acme', error: 'unable to generate a certificate for the domains [app.example.com api.example.com]: boom', message: 'Unable to obtain ACME certificate for domains'}))
    expect(textOnly.errors[0]!.domains).toEqual([NAME, 'api.example.com'])
  })

  it('picks the named problem out of a several-name order', () => {
    const error = 'unable to generate a certificate for the domains [a.example.com b.example.com]: error: one or more domains had a problem:\n[a.example.com] first problem\n[b.example.com] second problem\n'
    expect(problemFor(error, 'b.example.com')).toBe('[b.example.com] second problem')
    expect(problemFor(error, 'c.example.com')).toBe(error.trim())
  })

  it('masks anything that looks like a credential', () => {
    expect(redactSecrets('Authorization: Bearer abcDEF123_-x; CF_DNS_API_TOKEN=s3cr3t X-Auth-Key: k3y')).toBe('Authorization: Bearer ***; CF_DNS_API_TOKEN=*** X-Auth-Key: ***')
    const log = parseAcmeLog(issuanceLine({domains: [NAME], error: 'request failed: Authorization: Bearer Zx9-token-value', time: '2026-11-28T08:00:00Z'}))
    expect(log.errors[0]!.error).not.toContain('Zx9-token-value')
  })
})

describe('the gather script’s proxy-log function', () => {
  it('keeps the newest ACME error lines of docker logs, cut to size, and ends with docker’s exit code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-proxy-log-'))
    try {
      const lines = [
        '{"level":"info","message":"Configuration loaded from file: /etc/traefik/traefik.yml"}',
        issuanceLine({domains: [NAME], error: 'cloudflare: failed to find zone example.com.: zone could not be found', time: '2026-11-28T07:00:00Z'}),
        '{"level":"error","error":"dial tcp 127.0.11.2:3000: connect: connection refused","message":"502 Bad Gateway"}',
        ...Array.from({length: 250}, (_, i) => issuanceLine({domains: [`n${i}.example.com`], error: 'x', time: '2026-11-28T08:00:00Z'})),
        issuanceLine({domains: [NAME], error: `cloudflare: 9109: Invalid access token ${'y'.repeat(5000)}`, time: '2026-11-28T08:41:00Z'}),
      ]
      writeFileSync(join(dir, 'log.txt'), `${lines.join('\n')}\n`)
      // A docker that prints the log (to stderr, as Traefik writes it) and records its arguments.
      writeFileSync(join(dir, 'docker'), `#!/bin/sh\necho "$@" > "${dir}/args"\ncat "${dir}/log.txt" >&2\nexit 0\n`)
      chmodSync(join(dir, 'docker'), 0o755)
      const run = (): string =>
        execFileSync('bash', ['-c', `SUDO=""\n${proxyLogFunction(DEFAULT_ENDPOINTS)}\nproxy_log`], {encoding: 'utf8', env: {...process.env, PATH: `${dir}:${process.env.PATH}`}})
      const out = run()
      const kept = out.trimEnd().split('\n')
      expect(kept.at(-1)).toBe(`${DOCKER_RC_MARK} 0`)
      expect(kept).toHaveLength(201)
      expect(kept.every((l) => l.length <= PROXY_LOG_LINE_CHARS)).toBe(true)
      expect(out).not.toContain('502 Bad Gateway')
      expect(out).not.toContain('Configuration loaded')
      expect(execFileSync('cat', [join(dir, 'args')], {encoding: 'utf8'}).trim()).toBe('-H unix:///var/run/docker.sock logs --since 24h rediacc-proxy')
      const log = parseAcmeLog(out)
      expect(log.read).toBe(true)
      // The newest line was cut to size: no longer JSON, so ignored; the older one for the name is not kept
      // among the newest 200, so nothing is known for it.
      expect(latestAcmeError(log, 'n249.example.com')).toBeDefined()
      expect(latestAcmeError(log, 'n49.example.com')).toBeUndefined()

      writeFileSync(join(dir, 'docker'), '#!/bin/sh\necho "Error response from daemon: No such container: rediacc-proxy" >&2\nexit 1\n')
      expect(parseAcmeLog(run())).toEqual({read: false, errors: []})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
