import {X509Certificate} from 'node:crypto'

import {beforeAll, describe, expect, it} from 'vitest'

import {healthy} from '../../../test/support/diagnose-fixtures.js'
import {derBase64, makeChain, type TestChain, type TestPem} from '../../renet/probe/test-certs.js'
import type {TlsResult} from '../../renet/probe/types.js'
import {diagnoseFacts} from '../assemble.js'
import {parseAcmeLog} from '../parse/acme.js'
import {bundledRoots, displayName, isLetsEncryptStaging, LE_PRODUCTION, verifyChain} from './chain.js'
import {checkTls} from './tls.js'

const DAY = 86_400_000
const NAME = 'app.example.com'
const STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory'

/** What the probe reports for a name served with these certificates (leaf first), as renet's probe builds it. */
function served(certs: TestPem[], name = NAME): TlsResult {
  const leaf = new X509Certificate(certs[0]!.cert)
  const field = (dn: string, key: string): string => dn.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1) ?? ''
  return {
    id: `tls:${name}@203.0.113.50`,
    kind: 'tls',
    outcome: 'ok',
    durationMs: 3,
    cert: {
      subjectCN: field(leaf.subject, 'CN'),
      issuerCN: field(leaf.issuer, 'CN'),
      issuerO: field(leaf.issuer, 'O'),
      notBefore: new Date(leaf.validFrom).toISOString(),
      notAfter: new Date(leaf.validTo).toISOString(),
      sans: [name],
      selfSigned: false,
      traefikDefault: false,
      matchesName: true,
      fingerprint256: leaf.fingerprint256,
    },
    chain: certs.map((c) => derBase64(c.cert)),
  }
}

const b64 = (certs: TestPem[]): string[] => certs.map((c) => derBase64(c.cert))

describe('verifying the served chain against the machine’s CA', () => {
  let pebble: TestChain
  let other: TestChain
  let shortIntermediate: TestChain
  let staging: TestChain
  const now = (): Date => new Date(Date.now() + 60_000)

  beforeAll(() => {
    pebble = makeChain({names: [NAME], rootSubject: '/CN=Pebble Root CA 5a0b1c', intermediateSubject: '/CN=Pebble Intermediate CA 7d2e3f'})
    other = makeChain({names: [NAME], rootSubject: '/O=Other CA/CN=Other Root', intermediateSubject: '/O=Other CA/CN=Other Issuing CA'})
    shortIntermediate = makeChain({names: [NAME], intermediateDays: 10, leafDays: 90})
    staging = makeChain({
      names: [NAME],
      rootSubject: '/O=(STAGING) Internet Security Research Group/CN=(STAGING) Pretend Pear X1',
      intermediateSubject: "/O=(STAGING) Let's Encrypt/CN=(STAGING) Counterfeit Cashew R10",
    })
  })

  it('verifies leaf → intermediate → a root given as the machine’s ACME CA certificates', () => {
    const v = verifyChain(b64([pebble.leaf, pebble.intermediate]), {acmeCaServer: 'https://pebble:14000/dir', acmeCaCertificates: pebble.root.cert}, now())
    expect(v).toMatchObject({status: 'verified', anchor: 'Pebble Root CA 5a0b1c'})
    expect(v.chain.map((c) => [c.subject, c.issuer])).toEqual([
      [NAME, 'Pebble Intermediate CA 7d2e3f'],
      ['Pebble Intermediate CA 7d2e3f', 'Pebble Root CA 5a0b1c'],
    ])
    // Several roots in one PEM text, the right one last; or the intermediate itself trusted.
    expect(verifyChain(b64([pebble.leaf, pebble.intermediate]), {acmeCaCertificates: other.root.cert + pebble.root.cert}, now())).toMatchObject({status: 'verified'})
    expect(verifyChain(b64([pebble.leaf]), {acmeCaCertificates: pebble.intermediate.cert}, now())).toMatchObject({status: 'verified', anchor: 'Pebble Intermediate CA 7d2e3f'})
  })

  it('a chain from another CA than the one set fails, naming where it ends and what it was checked against', () => {
    const v = verifyChain(b64([other.leaf, other.intermediate]), {acmeCaCertificates: pebble.root.cert}, now())
    expect(v).toMatchObject({
      status: 'failed',
      problem: 'untrusted',
      issuer: 'Other CA Other Issuing CA',
      reason: "the chain ends at Other CA Other Issuing CA, whose issuer Other CA Other Root is neither served nor one of the machine's ACME CA certificates (--acme-ca-cert: Pebble Root CA 5a0b1c)",
    })
  })

  it('an expired intermediate fails with its date; so does a chain not valid yet', () => {
    const later = new Date(Date.now() + 20 * DAY)
    const v = verifyChain(b64([shortIntermediate.leaf, shortIntermediate.intermediate]), {acmeCaCertificates: shortIntermediate.root.cert}, later)
    const expiry = new Date(new X509Certificate(shortIntermediate.intermediate.cert).validTo).toISOString().slice(0, 10)
    expect(v).toMatchObject({status: 'failed', problem: 'expired', reason: `the intermediate Test ACME CA Test Intermediate R1 expired on ${expiry}`})
    const early = verifyChain(b64([pebble.leaf, pebble.intermediate]), {acmeCaCertificates: pebble.root.cert}, new Date(Date.now() - DAY))
    expect(early).toMatchObject({status: 'failed', problem: 'not-yet-valid', reason: expect.stringMatching(/^the certificate is not valid until \d{4}-\d\d-\d\dT/)})
  })

  it('an intermediate that did not issue the leaf, or the wrong order, is a broken chain', () => {
    const v = verifyChain(b64([pebble.leaf, other.intermediate]), {acmeCaCertificates: pebble.root.cert + other.root.cert}, now())
    expect(v).toMatchObject({status: 'failed', problem: 'broken', reason: 'Other CA Other Issuing CA is served after app.example.com but did not issue it (issuer Pebble Intermediate CA 7d2e3f)'})
    const reversed = verifyChain(b64([pebble.intermediate, pebble.leaf]), {acmeCaCertificates: other.root.cert}, now())
    expect(reversed).toMatchObject({status: 'failed', problem: 'broken'})
  })

  it('Let’s Encrypt staging: a STAGING chain is well formed but no browser can verify it', () => {
    expect(isLetsEncryptStaging(STAGING)).toBe(true)
    expect(isLetsEncryptStaging(LE_PRODUCTION)).toBe(false)
    const v = verifyChain(b64([staging.leaf, staging.intermediate]), {acmeCaServer: STAGING}, now())
    expect(v).toMatchObject({status: 'staging', issuer: "(STAGING) Let's Encrypt Counterfeit Cashew R10"})
    // Staging set, but the certificate does not say STAGING: judged against the bundled roots, and saying so.
    const notStaging = verifyChain(b64([other.leaf, other.intermediate]), {acmeCaServer: STAGING}, now())
    expect(notStaging).toMatchObject({status: 'failed', problem: 'untrusted'})
    expect(notStaging.status === 'failed' && notStaging.against).toContain('the issuer does not say STAGING')
  })

  it('with the default (Let’s Encrypt production) a self-made chain fails against Node’s bundled roots', () => {
    expect(bundledRoots().map((r) => displayName(r.subject))).toContain('Internet Security Research Group ISRG Root X1')
    const v = verifyChain(b64([pebble.leaf, pebble.intermediate]), {}, now())
    expect(verifyChain(b64([pebble.leaf, pebble.intermediate]), {acmeCaServer: LE_PRODUCTION}, now())).toEqual(v)
    expect(v).toMatchObject({
      status: 'failed',
      problem: 'untrusted',
      issuer: 'Pebble Intermediate CA 7d2e3f',
      against: "Node's bundled root certificates (the machine uses Let’s Encrypt production)",
    })
  })

  it('unreadable input and unreadable CA certificates are said as such', () => {
    expect(verifyChain(['bm90IGEgY2VydA=='], {}, now())).toMatchObject({status: 'failed', problem: 'unreadable'})
    const v = verifyChain(b64([pebble.leaf, pebble.intermediate]), {acmeCaCertificates: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'}, now())
    expect(v).toMatchObject({status: 'failed', problem: 'untrusted'})
    expect(v.status === 'failed' && v.reason).toContain('--acme-ca-cert: none readable')
  })

  describe('the tls finding', () => {
    it('ok names the root the chain reached', () => {
      const f = checkTls(NAME, served([pebble.leaf, pebble.intermediate]), 'server-1', now(), {trust: {acmeCaCertificates: pebble.root.cert}})
      expect(f).toMatchObject({status: 'ok', detail: expect.stringMatching(/^Pebble Intermediate CA 7d2e3f, valid until \d{4}-\d\d-\d\d \(89 days\), chain verified to Pebble Root CA 5a0b1c$/)})
      expect(f.chain).toBeUndefined()
    })

    it('a chain that does not verify fails, naming issuer, where it ends and the fix', () => {
      const f = checkTls(NAME, served([pebble.leaf, pebble.intermediate]), 'server-1', now())
      expect(f).toMatchObject({
        hop: 'tls',
        status: 'fail',
        subject: 'app.example.com @ 203.0.113.50',
        detail:
          'the chain served for app.example.com (issued by Pebble Intermediate CA 7d2e3f) does not verify: the chain ends at Pebble Intermediate CA 7d2e3f, ' +
          "whose issuer Pebble Root CA 5a0b1c is neither served nor one of Node's bundled root certificates (the machine uses Let’s Encrypt production)",
        fix:
          'if the machine uses a private ACME CA, give its URL and root: rdc context set-infra server-1 --acme-ca-server <url> --acme-ca-cert <root.pem> && rdc context push-infra server-1; ' +
          'otherwise the certificate came from another CA (an earlier --acme-ca-server, or one placed by hand) and Traefik must issue a new one ' +
          '(see sudo docker logs rediacc-proxy --since 10m 2>&1 | grep -i acme)',
      })
      expect(f.chain).toMatchObject({verdict: 'failed', checkedAgainst: expect.stringContaining("Node's bundled root certificates"), certificates: [{subject: NAME}, {subject: 'Pebble Intermediate CA 7d2e3f'}]})
      const wrong = checkTls(NAME, served([other.leaf, other.intermediate]), 'server-1', now(), {trust: {acmeCaServer: 'https://pebble:14000/dir', acmeCaCertificates: pebble.root.cert}})
      expect(wrong.status).toBe('fail')
      expect(wrong.fix).toBe(
        'the chain must reach a certificate in --acme-ca-cert: add the root that issues the certificates of https://pebble:14000/dir to that PEM file ' +
          '(for Pebble its /roots/0, which is not the CA of its HTTPS listener): rdc context set-infra server-1 --acme-ca-cert <root.pem> && rdc context push-infra server-1; ' +
          'or the certificate came from another CA (check --acme-ca-server)',
      )
    })

    it('an expired intermediate fails; a leaf not yet valid fails; staging warns', () => {
      const later = new Date(Date.now() + 20 * DAY)
      const expired = checkTls(NAME, served([shortIntermediate.leaf, shortIntermediate.intermediate]), 'server-1', later, {trust: {acmeCaCertificates: shortIntermediate.root.cert}})
      expect(expired).toMatchObject({status: 'fail', detail: expect.stringMatching(/^the chain served for app\.example\.com \(issued by Test ACME CA Test Intermediate R1\) is not valid now: the intermediate Test ACME CA Test Intermediate R1 expired on /)})
      expect(expired.fix).toContain('renew the certificate')

      const early = checkTls(NAME, served([pebble.leaf, pebble.intermediate]), 'server-1', new Date(Date.now() - DAY), {trust: {acmeCaCertificates: pebble.root.cert}})
      expect(early).toMatchObject({status: 'fail', detail: expect.stringMatching(/^the certificate for app\.example\.com is not valid until \S+Z \(issued by Pebble Intermediate CA 7d2e3f\)$/)})

      const stage = checkTls(NAME, served([staging.leaf, staging.intermediate]), 'server-1', now(), {trust: {acmeCaServer: STAGING}})
      expect(stage).toMatchObject({
        status: 'warn',
        detail: "the certificate for app.example.com is from Let's Encrypt staging ((STAGING) Let's Encrypt Counterfeit Cashew R10): browsers cannot verify its chain, since staging roots are in no trust store",
        fix: "when done testing, switch the machine to Let's Encrypt production: rdc context set-infra server-1 --unset acme-ca-server && rdc context push-infra server-1",
      })
      expect(stage.chain?.verdict).toBe('staging')
    })

    it('a result without a chain (an older renet) is judged on the leaf alone', () => {
      const {chain: _chain, ...noChain} = served([pebble.leaf, pebble.intermediate])
      expect(checkTls(NAME, noChain, 'server-1', now())).toMatchObject({status: 'ok'})
    })

    it('the walk passes the machine’s ACME settings to the check (diagnoseFacts, as --json returns it)', () => {
      const f = healthy()
      f.routes![0]!.tls = [served([other.leaf, other.intermediate])]
      f.local.infra = {...f.local.infra, acmeCaServer: 'https://pebble:14000/dir', acmeCaCertificates: pebble.root.cert}
      const tls = diagnoseFacts(f, now()).filter((x) => x.hop === 'tls')
      expect(tls).toHaveLength(1)
      expect(tls[0]).toMatchObject({status: 'fail', detail: expect.stringContaining("one of the machine's ACME CA certificates (--acme-ca-cert: Pebble Root CA 5a0b1c)")})
      // The report is plain JSON: the evidence survives a round trip.
      expect(JSON.parse(JSON.stringify(tls[0]))).toEqual(tls[0])

      f.local.infra = {...f.local.infra, acmeCaCertificates: other.root.cert}
      expect(diagnoseFacts(f, now()).filter((x) => x.hop === 'tls')[0]).toMatchObject({status: 'ok', detail: expect.stringContaining('chain verified to Other Root')})
    })
  })
})

describe('a certificate not issued, with the reason from Traefik’s log', () => {
  const defaultCert = (name = NAME): TlsResult => ({
    id: `tls:${name}@203.0.113.50`,
    kind: 'tls',
    outcome: 'ok',
    durationMs: 2,
    cert: {
      subjectCN: 'TRAEFIK DEFAULT CERT',
      issuerCN: 'TRAEFIK DEFAULT CERT',
      issuerO: '',
      notBefore: '2026-11-01T00:00:00.000Z',
      notAfter: '2027-11-01T00:00:00.000Z',
      sans: ['x.traefik.default'],
      selfSigned: true,
      traefikDefault: true,
      matchesName: false,
      fingerprint256: 'AA',
    },
  })
  const line = (domains: string[], error: string, time: string): string =>
    JSON.stringify({
      level: 'error',
      providerName: 'letsencrypt.acme',
      acmeCA: LE_PRODUCTION,
      'ACME CA': LE_PRODUCTION,
      routerName: 'my-app-webapp@http',
      rule: `Host(\`${domains[0]}\`)`,
      error,
      domains,
      time,
      message: 'Unable to obtain ACME certificate for domains',
    })
  const now = new Date('2026-11-28T09:00:00Z')

  it('attaches the newest error for the name, in plain words, with its fix', () => {
    const log = parseAcmeLog(
      [
        line([NAME], `unable to generate a certificate for the domains [${NAME}]: error: one or more domains had a problem:\n[${NAME}] [${NAME}] acme: error presenting token: cloudflare: failed to find zone example.com.: zone could not be found\n`, '2026-11-28T07:00:00Z'),
        line([NAME], `unable to generate a certificate for the domains [${NAME}]: error: one or more domains had a problem:\n[${NAME}] [${NAME}] acme: error presenting token: cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token\n`, '2026-11-28T08:41:07Z'),
        line(['other.example.com'], 'unable to generate a certificate for the domains [other.example.com]: acme: error: 429 :: urn:ietf:params:acme:error:rateLimited :: too many certificates', '2026-11-28T08:50:00Z'),
        '@@rdc-docker-rc 0',
      ].join('\n'),
    )
    const f = checkTls(NAME, defaultCert(), 'server-1', now, {acme: log})
    expect(f).toMatchObject({
      hop: 'tls',
      status: 'fail',
      detail:
        'certificate not issued: Traefik serves its default self-signed certificate for app.example.com; last ACME error (2026-11-28 08:41:07 UTC): ' +
        'Cloudflare refused the DNS API token (9109: Invalid access token)',
      fix: 'set a Cloudflare API token with Zone:Zone:Read and Zone:DNS:Edit on the zone: rdc context set-infra server-1 --cf-dns-token - && rdc context push-infra server-1',
      acme: {
        cause: 'cloudflare-auth',
        domains: [NAME],
        time: '2026-11-28T08:41:07Z',
        ca: LE_PRODUCTION,
        error: `[${NAME}] [${NAME}] acme: error presenting token: cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token`,
      },
    })
  })

  it('says when the log was read and holds nothing for the name; keeps the general fix', () => {
    const log = parseAcmeLog(`${line(['other.example.com'], 'cloudflare: failed to find zone other.example.com.: zone could not be found', '2026-11-28T08:00:00Z')}\n@@rdc-docker-rc 0\n`)
    const f = checkTls(NAME, defaultCert(), 'server-1', now, {acme: log})
    expect(f.detail).toBe(
      'certificate not issued: Traefik serves its default self-signed certificate for app.example.com; Traefik logged no ACME error for it in the last 24 h (issuance may still be running, or failed earlier)',
    )
    expect(f.fix).toContain('Zone:Zone:Read and Zone:DNS:Edit')
    expect(f.acme).toBeUndefined()
    // A log that could not be read says nothing.
    const unread = checkTls(NAME, defaultCert(), 'server-1', now, {acme: parseAcmeLog('@@rdc-docker-rc 1\n')})
    expect(unread.detail).toBe('certificate not issued: Traefik serves its default self-signed certificate for app.example.com')
  })

  it('an overdue renewal gets the renewal error', () => {
    const renewal = JSON.stringify({
      level: 'error',
      providerName: 'letsencrypt.acme',
      acmeCA: LE_PRODUCTION,
      error: 'error: one or more domains had a problem:\n[app.example.com] propagation: time limit exceeded: last error: NS ns1.cloudflare.com.:53 did not return the expected TXT record [fqdn: _acme-challenge.app.example.com., value: x]',
      time: '2026-11-28T06:00:00Z',
      message: 'Error renewing certificate from LE: {app.example.com []}',
    })
    const result = defaultCert()
    result.cert = {...result.cert!, subjectCN: NAME, issuerCN: 'R11', issuerO: "Let's Encrypt", sans: [NAME], selfSigned: false, traefikDefault: false, matchesName: true, notAfter: '2026-12-05T00:00:00.000Z'}
    const f = checkTls(NAME, result, 'server-1', now, {acme: parseAcmeLog(renewal)})
    expect(f).toMatchObject({status: 'warn', acme: {cause: 'dns', domains: [NAME]}})
    expect(f.detail).toMatch(/^the certificate for app\.example\.com expires in 6 days \(2026-12-05\): renewal is overdue; last ACME error \(2026-11-28 06:00:00 UTC\): the DNS-01 challenge record could not be seen \(propagation timed out\): /)
    expect(f.fix).toContain('--dns-resolvers')
  })
})
