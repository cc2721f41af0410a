import {Ajv} from 'ajv'
import fc from 'fast-check'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {UsageError} from '../../errors.js'
import {ACME_DNS_RESOLVERS, renderTraefikYaml, routableEntryPointNames, traefikConfig} from './traefik.js'

const published = JSON.parse(readFileSync(new URL('../../../schemas/traefik/traefik-v3.json', import.meta.url), 'utf8'))
/**
 * The published schema predates Traefik 3.7's `entryPoints.<name>.http.aliasHeadersStrategy` (it still has the
 * deprecated underscoreHeadersStrategy): add that one field, with the values Traefik takes, and nothing else.
 */
const schema = structuredClone(published)
schema.$defs.staticHTTPConfig.properties.aliasHeadersStrategy = {type: 'string', enum: ['keep', 'delete', 'reject']}
const ajv = new Ajv({allowUnionTypes: true, strict: false})
const validate = ajv.compile(schema)
// The published schema lets unknown top-level keys through; a typo there would go unnoticed, so close it.
const validateClosed = new Ajv({allowUnionTypes: true, strict: false}).compile({...schema, additionalProperties: false})

function lint(yamlText: string): void {
  const doc = parse(yamlText)
  const ok = validate(doc) && validateClosed(doc)
  if (!ok) throw new Error(JSON.stringify([validate.errors, validateClosed.errors]))
}

describe('traefik.yml', () => {
  it('renders the documented example exactly', () => {
    const text = renderTraefikYaml({publicIPv4: '203.0.113.50', certEmail: 'admin@example.com', tcpPorts: [25, 3306], udpPorts: [5353]})
    const doc = parse(text)
    expect(text.split('\n')[0]).toMatch(/^# Managed by rdc/)
    expect(doc.global).toEqual({checkNewVersion: false, sendAnonymousUsage: false})
    expect(doc.log).toEqual({level: 'INFO', format: 'json'})
    expect(doc.api).toEqual({insecure: true, dashboard: false})
    expect(doc.ping).toEqual({entryPoint: 'traefik'})
    expect(doc.providers).toEqual({http: {endpoint: 'http://127.0.0.1:7111/traefik', pollInterval: '5s'}})
    expect(doc.certificatesResolvers).toEqual({
      letsencrypt: {
        acme: {
          email: 'admin@example.com',
          storage: '/letsencrypt/acme.json',
          dnsChallenge: {provider: 'cloudflare', resolvers: ['1.1.1.1:53', '1.0.0.1:53'], propagation: {delayBeforeChecks: '10s'}},
        },
      },
    })
    expect(doc.entryPoints.traefik).toEqual({address: '127.0.0.1:8082', http: {aliasHeadersStrategy: 'delete'}})
    expect(doc.entryPoints.web).toEqual({
      address: '203.0.113.50:80',
      http: {aliasHeadersStrategy: 'delete', redirections: {entryPoint: {to: 'websecure', scheme: 'https', permanent: true}}},
    })
    expect(doc.entryPoints.websecure).toEqual({address: '203.0.113.50:443', asDefault: true, http: {aliasHeadersStrategy: 'delete', tls: {certResolver: 'letsencrypt'}}})
    expect(doc.entryPoints['websecure-v6']).toBeUndefined()
    // Specific addresses, never a wildcard: a service on 127.0.11.2:5432 must still be able to bind.
    // Aliasing headers (X_Forwarded_For) are dropped wherever HTTP can be served, TCP entry points included.
    expect(doc.entryPoints['tcp-25']).toEqual({address: '203.0.113.50:25', http: {aliasHeadersStrategy: 'delete'}})
    expect(doc.entryPoints['tcp-10010']).toEqual({address: '203.0.113.50:10010', http: {aliasHeadersStrategy: 'delete'}})
    expect(doc.entryPoints['udp-53']).toEqual({address: '203.0.113.50:53/udp'})
    expect(doc.entryPoints['udp-5353']).toEqual({address: '203.0.113.50:5353/udp'})
    expect(Object.values(doc.entryPoints).map((e: any) => e.address).filter((a: string) => /^(:|\[::\]:|0\.0\.0\.0:)/.test(a))).toEqual([])
    expect(Object.keys(doc.entryPoints)).toEqual([
      'traefik', 'web', 'websecure', 'tcp-25', 'tcp-3306', 'tcp-5432', 'tcp-5672', 'tcp-6379', 'tcp-9092',
      'tcp-10000', 'tcp-10001', 'tcp-10002', 'tcp-10003', 'tcp-10004', 'tcp-10005', 'tcp-10006', 'tcp-10007',
      'tcp-10008', 'tcp-10009', 'tcp-10010', 'tcp-11211', 'tcp-27017', 'udp-53', 'udp-5353',
    ])
    // Addresses are quoted so `[2001:db8::1]:443` cannot be read as anything but a string by Traefik's decoder.
    expect(text).toContain('    address: "203.0.113.50:80"\n')
    lint(text)
  })

  it('binds IPv6 HTTPS to the bracketed address and redirects :80 there when IPv6 is the only family', () => {
    const doc = traefikConfig({publicIPv6: '2001:db8::1'}) as {entryPoints: Record<string, any>; certificatesResolvers: any}
    expect(doc.entryPoints['websecure-v6'].address).toBe('[2001:db8::1]:443')
    expect(doc.entryPoints.websecure).toBeUndefined()
    expect(doc.entryPoints.web.http.redirections.entryPoint.to).toBe('websecure-v6')
    expect(doc.entryPoints.web.address).toBe('[2001:db8::1]:80')
    expect(doc.entryPoints['web-v6']).toBeUndefined()
    expect(doc.entryPoints['tcp-5432'].address).toBe('[2001:db8::1]:5432')
    expect(doc.certificatesResolvers.letsencrypt.acme.email).toBeUndefined()
    const text = renderTraefikYaml({publicIPv6: '2001:db8::1'})
    expect(text).toContain('    address: "[2001:db8::1]:443"\n')
    lint(text)
  })

  it('with both families: two HTTPS entry points on specific addresses, never :443 twice', () => {
    const doc = traefikConfig({publicIPv4: '198.51.100.7', publicIPv6: '2001:db8::5'}) as {entryPoints: Record<string, any>}
    const https = Object.values(doc.entryPoints).filter((e) => String(e.address).endsWith(':443')).map((e) => e.address)
    expect(https).toEqual(['198.51.100.7:443', '[2001:db8::5]:443'])
    // Each family's HTTP entry point redirects to the HTTPS one of the same family.
    expect(doc.entryPoints.web.address).toBe('198.51.100.7:80')
    expect(doc.entryPoints.web.http.redirections.entryPoint.to).toBe('websecure')
    expect(doc.entryPoints['web-v6'].address).toBe('[2001:db8::5]:80')
    expect(doc.entryPoints['web-v6'].http.redirections.entryPoint.to).toBe('websecure-v6')
    expect(doc.entryPoints['tcp-5432']).toEqual({address: '198.51.100.7:5432', http: {aliasHeadersStrategy: 'delete'}})
    expect(doc.entryPoints['tcp-5432-v6']).toEqual({address: '[2001:db8::5]:5432', http: {aliasHeadersStrategy: 'delete'}})
    expect(doc.entryPoints['udp-53-v6']).toEqual({address: '[2001:db8::5]:53/udp'})
    expect(Object.keys(doc.entryPoints).slice(0, 5)).toEqual(['traefik', 'web', 'web-v6', 'websecure', 'websecure-v6'])
  })

  it('refuses a machine with neither address family, naming the fields', () => {
    let error: unknown
    try {
      renderTraefikYaml({tcpPorts: [25]})
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).field).toBe('publicIPv4')
    expect((error as UsageError).message).toContain('publicIPv4')
    expect((error as UsageError).message).toContain('publicIPv6')
  })

  it('routable entry points are every traefik.yml entry point except the internal one', () => {
    const input = {publicIPv4: '203.0.113.50', publicIPv6: '2001:db8::1', tcpPorts: [993], udpPorts: [123]}
    const all = Object.keys((traefikConfig(input) as {entryPoints: object}).entryPoints)
    expect(routableEntryPointNames(input)).toEqual(all.filter((n) => n !== 'traefik'))
  })

  it('every rendered traefik.yml validates against Traefik v3 static schema (random settings)', () => {
    const octet = fc.integer({min: 0, max: 255})
    const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'))
    const ipv6 = fc.array(fc.integer({min: 0, max: 0xffff}), {minLength: 8, maxLength: 8}).map((g) => g.map((x) => x.toString(16)).join(':'))
    const port = fc.integer({min: 1, max: 65_535}).filter((p) => ![80, 443, 7111, 8082].includes(p))
    const settings = fc
      .record(
        {
          publicIPv4: ipv4,
          publicIPv6: ipv6,
          certEmail: fc.emailAddress(),
          tcpPorts: fc.array(port, {maxLength: 12}),
          udpPorts: fc.array(port, {maxLength: 6}),
          acmeCaServer: fc.webUrl({validSchemes: ['https']}),
          acmeCaCertificates: fc.constant('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'),
          dnsResolvers: fc.array(fc.oneof(ipv4.map((a) => `${a}:53`), ipv6.map((a) => `[${a}]:5353`), fc.domain().map((d) => `${d}:53`)), {minLength: 1, maxLength: 4}),
        },
        {requiredKeys: []},
      )
      .filter((s) => Boolean(s.publicIPv4 || s.publicIPv6))
    fc.assert(
      fc.property(settings, (s) => {
        const text = renderTraefikYaml(s)
        lint(text)
        const doc = parse(text)
        const names = Object.keys(doc.entryPoints)
        for (const p of s.tcpPorts ?? []) expect(names).toContain(`tcp-${p}`)
        const v4 = s.publicIPv4 ?? `[${s.publicIPv6}]`
        for (const p of s.udpPorts ?? []) expect(doc.entryPoints[`udp-${p}`].address).toBe(`${v4}:${p}/udp`)
        for (const [name, ep] of Object.entries<any>(doc.entryPoints)) {
          if (name === 'traefik') continue
          const v6 = name.endsWith('-v6')
          expect(ep.address.startsWith(v6 || !s.publicIPv4 ? `[${s.publicIPv6}]:` : `${s.publicIPv4}:`)).toBe(true)
          if (ep.http?.redirections) expect(ep.http.redirections.entryPoint.to).toBe(v6 || !s.publicIPv4 ? 'websecure-v6' : 'websecure')
        }
        const acme = doc.certificatesResolvers.letsencrypt.acme
        expect(acme.caServer).toBe(s.acmeCaServer)
        expect(acme.caCertificates).toEqual(s.acmeCaCertificates ? ['/etc/traefik/acme-ca.pem'] : undefined)
        expect(acme.dnsChallenge.resolvers).toEqual(s.dnsResolvers ?? [...ACME_DNS_RESOLVERS])
        expect(Boolean(doc.entryPoints.websecure)).toBe(Boolean(s.publicIPv4))
        expect(Boolean(doc.entryPoints['websecure-v6'])).toBe(Boolean(s.publicIPv6))
      }),
      {numRuns: 300},
    )
  })

  it('renders the ACME CA server, its CA certificates and the DNS resolvers only when set', () => {
    const text = renderTraefikYaml({
      publicIPv4: '203.0.113.50',
      certEmail: 'admin@example.com',
      acmeCaServer: 'https://ca.internal:9000/acme/acme/directory',
      acmeCaCertificates: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
      dnsResolvers: ['9.9.9.9:53', '[2620:fe::fe]:53'],
    })
    lint(text)
    const acme = parse(text).certificatesResolvers.letsencrypt.acme
    expect(acme).toEqual({
      email: 'admin@example.com',
      caServer: 'https://ca.internal:9000/acme/acme/directory',
      storage: '/letsencrypt/acme.json',
      // The path inside the container; the PEM itself is never part of traefik.yml.
      caCertificates: ['/etc/traefik/acme-ca.pem'],
      dnsChallenge: {provider: 'cloudflare', resolvers: ['9.9.9.9:53', '[2620:fe::fe]:53'], propagation: {delayBeforeChecks: '10s'}},
    })
    expect(text).toContain('    caServer: "https://ca.internal:9000/acme/acme/directory"\n')
    expect(text).not.toContain('BEGIN CERTIFICATE')
    // Unset: Traefik's defaults (Let's Encrypt production, no extra CA) and rdc's default resolvers.
    const plain = parse(renderTraefikYaml({publicIPv4: '203.0.113.50'})).certificatesResolvers.letsencrypt.acme
    expect(plain).not.toHaveProperty('caServer')
    expect(plain).not.toHaveProperty('caCertificates')
    expect(plain.dnsChallenge.resolvers).toEqual([...ACME_DNS_RESOLVERS])
    expect(parse(renderTraefikYaml({publicIPv4: '203.0.113.50', dnsResolvers: []})).certificatesResolvers.letsencrypt.acme.dnsChallenge.resolvers).toEqual([...ACME_DNS_RESOLVERS])
  })

  it('the schema lint is not a rubber stamp: it rejects a misspelt key', () => {
    const doc = parse(renderTraefikYaml({publicIPv4: '203.0.113.50'}))
    doc.entryPoints.web.adress = ':81'
    expect(validate(doc)).toBe(false)
    expect(validateClosed({...doc, entrypoints: {}})).toBe(false)
    doc.certificatesResolvers.letsencrypt.acme.caCertificate = ['/etc/traefik/acme-ca.pem']
    expect(validate(doc)).toBe(false)
  })
})
