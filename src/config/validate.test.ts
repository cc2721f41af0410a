import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {UsageError} from '../errors.js'
import {RESERVED_PORTS} from '../net/entrypoints.js'
import {validateBaseDomain, validateEmail, validateImageRef, validateName, validatePorts, validatePublicIPv4, validatePublicIPv6, validateToken} from './validate.js'

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error('expected a UsageError, nothing was thrown')
}

const octet = fc.integer({min: 0, max: 255})
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'))

describe('validatePublicIPv4', () => {
  it('accepts public unicast addresses unchanged', () => {
    // 1.0.0.0–9.255.255.255 and 11–99 hold no special-purpose range.
    fc.assert(fc.property(fc.integer({min: 11, max: 99}), octet, octet, octet, (a, b, c, d) => {
      const ip = `${a}.${b}.${c}.${d}`
      expect(validatePublicIPv4(ip)).toBe(ip)
    }))
  })

  it('refuses private, loopback, link-local and documentation ranges unless allowPrivate', () => {
    const nonPublic = fc.oneof(
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
      fc.tuple(fc.integer({min: 16, max: 31}), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
      octet.map((d) => `192.0.2.${d}`),
      octet.map((d) => `198.51.100.${d}`),
      octet.map((d) => `203.0.113.${d}`),
    )
    fc.assert(fc.property(nonPublic, (ip) => {
      const err = usageError(() => validatePublicIPv4(ip))
      expect(err.field).toBe('--public-ipv4')
      expect(err.suggestion).toContain('--allow-private')
      expect(validatePublicIPv4(ip, {allowPrivate: true})).toBe(ip)
    }))
  })

  it('names the other flag when given an IPv6 address, and refuses non-addresses', () => {
    expect(usageError(() => validatePublicIPv4('2a01:4f8::1')).suggestion).toContain('--public-ipv6')
    fc.assert(fc.property(fc.string(), (s) => {
      fc.pre(!/^\s*\d+\.\d+\.\d+\.\d+\s*$/.test(s))
      expect(usageError(() => validatePublicIPv4(s)).field).toBe('--public-ipv4')
    }))
    expect(usageError(() => validatePublicIPv4('256.1.1.1')).message).toContain('not an IPv4')
  })

  it('accepts every dotted quad when private addresses are allowed', () => {
    fc.assert(fc.property(v4, (ip) => {
      expect(validatePublicIPv4(ip, {allowPrivate: true})).toBe(ip)
    }))
  })
})

describe('validatePublicIPv6', () => {
  it('accepts global unicast, refuses documentation/loopback/ULA/link-local, and IPv4', () => {
    const hex = fc.integer({min: 0, max: 0xffff}).map((n) => n.toString(16))
    fc.assert(fc.property(fc.array(hex, {minLength: 7, maxLength: 7}), (groups) => {
      const ip = ['2a01', ...groups].join(':')
      expect(validatePublicIPv6(ip)).toBe(ip)
      const doc = ['2001', 'db8', ...groups.slice(1)].join(':')
      expect(usageError(() => validatePublicIPv6(doc)).field).toBe('--public-ipv6')
    }))
    for (const ip of ['::1', 'fd00::1', 'fe80::1', '::']) expect(() => validatePublicIPv6(ip)).toThrow(UsageError)
    expect(validatePublicIPv6('[2A01:4F8::1]')).toBe('2a01:4f8::1')
    expect(usageError(() => validatePublicIPv6('1.2.3.4')).suggestion).toContain('--public-ipv4')
    expect(validatePublicIPv6('fd00::1', {allowPrivate: true})).toBe('fd00::1')
  })
})

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/)
const domain = fc.tuple(fc.array(label, {minLength: 1, maxLength: 4}), fc.stringMatching(/^[a-z]{2,6}$/)).map(([ls, tld]) => [...ls, tld].join('.'))

describe('validateBaseDomain', () => {
  it('accepts DNS names and folds upper case', () => {
    fc.assert(fc.property(domain, (d) => {
      expect(validateBaseDomain(d)).toBe(d)
      expect(validateBaseDomain(d.toUpperCase())).toBe(d)
      expect(validateBaseDomain(`${d}.`)).toBe(d)
    }))
  })

  it('refuses schemes, paths, ports, long labels and long names, naming --base-domain', () => {
    fc.assert(fc.property(domain, fc.constantFrom('https://', 'http://'), (d, scheme) => {
      const err = usageError(() => validateBaseDomain(`${scheme}${d}`))
      expect(err.field).toBe('--base-domain')
      expect(err.suggestion).toContain(d)
    }))
    fc.assert(fc.property(domain, (d) => {
      expect(usageError(() => validateBaseDomain(`${d}/path`)).message).toContain('path')
      expect(usageError(() => validateBaseDomain(`${d}:8443`)).message).toContain('port')
    }))
    expect(usageError(() => validateBaseDomain(`${'a'.repeat(64)}.com`)).message).toContain('at most 63')
    expect(validateBaseDomain(`${'a'.repeat(63)}.com`)).toBe(`${'a'.repeat(63)}.com`)
    const long = Array.from({length: 5}, () => 'b'.repeat(60)).join('.')
    expect(usageError(() => validateBaseDomain(long)).message).toContain('at most 253')
    for (const bad of ['localhost', 'a..b', '-a.com', 'a-.com', 'exa_mple.com', '1.2.3.4', '']) expect(() => validateBaseDomain(bad)).toThrow(UsageError)
  })
})

describe('validateEmail', () => {
  it('accepts local@domain and folds the domain', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]$/), domain, (local, d) => {
      fc.pre(!local.includes('..'))
      expect(validateEmail(`${local}@${d.toUpperCase()}`)).toBe(`${local}@${d}`)
    }))
  })

  it('refuses malformed addresses, naming --cert-email', () => {
    for (const bad of ['admin', 'admin@', '@example.com', 'a b@example.com', 'a..b@example.com', 'admin@localhost', 'admin@exa mple.com', '.a@example.com']) {
      expect(usageError(() => validateEmail(bad)).field).toBe('--cert-email')
    }
  })
})

describe('validatePorts', () => {
  const allowed = fc.integer({min: 1, max: 65_535}).filter((p) => !(RESERVED_PORTS as readonly number[]).includes(p))

  it('parses comma lists into sorted unique ports', () => {
    fc.assert(fc.property(fc.uniqueArray(allowed, {minLength: 1, maxLength: 20}), (ports) => {
      expect(validatePorts(ports.join(', '), '--tcp-ports')).toEqual([...ports].sort((a, b) => a - b))
      expect(validatePorts(ports, '--tcp-ports')).toEqual([...ports].sort((a, b) => a - b))
    }))
  })

  it('refuses out-of-range, non-numeric, duplicate and reserved ports, naming the flag', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({min: 65_536, max: 10_000_000}), fc.constant(0)), (p) => {
      expect(usageError(() => validatePorts(`25,${p}`, '--udp-ports')).field).toBe('--udp-ports')
    }))
    fc.assert(fc.property(allowed, (p) => {
      expect(usageError(() => validatePorts(`${p},${p}`, '--tcp-ports')).message).toContain('twice')
    }))
    for (const p of RESERVED_PORTS) expect(usageError(() => validatePorts(`25,${p}`, '--tcp-ports')).message).toContain('reserved')
    expect(usageError(() => validatePorts('7111', '--tcp-ports')).message).toContain('route server')
    for (const bad of ['smtp', '25;143', '-1', '2.5', '', '25,,26']) expect(() => validatePorts(bad, '--tcp-ports')).toThrow(UsageError)
  })
})

describe('validateName', () => {
  it('accepts [a-z0-9-] names and refuses anything else with a folded example', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/), (n) => {
      expect(validateName(n, "name")).toBe(n)
    }))
    fc.assert(fc.property(fc.string({minLength: 1}), (n) => {
      fc.pre(!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(n))
      expect(usageError(() => validateName(n, 'machine')).field).toBe('machine')
    }))
    expect(usageError(() => validateName('Server_1', 'machine')).suggestion).toContain('"server-1"')
  })
})

describe('validateToken', () => {
  it('never puts the token into the error', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_]{10,40}$/), (t) => {
      expect(validateToken(` ${t}\n`)).toBe(t)
      const err = usageError(() => validateToken(`${t} ${t}`))
      expect(`${err.message} ${err.suggestion}`).not.toContain(t)
    }))
  })
})

describe('validateImageRef', () => {
  it('accepts the image references a proxy mirror or pin would use', () => {
    for (const ref of [
      'traefik:v3.6.11',
      'traefik',
      'rdc-test/proxy-standin:local',
      'registry.example.com:5000/team/traefik:v3.6',
      `traefik@sha256:${'a'.repeat(64)}`,
      `ghcr.io/acme/traefik:v3.6.11@sha256:${'0123456789abcdef'.repeat(4)}`,
    ]) {
      expect(validateImageRef(ref)).toBe(ref)
    }
  })

  it('refuses what is not an image reference, naming --proxy-image', () => {
    for (const bad of ['', 'Traefik:v3', 'traefik:v3 # x', 'traefik:\nimage: evil', 'traefik@sha256:abc', '-traefik', 'a'.repeat(256)]) {
      try {
        validateImageRef(bad)
        expect.unreachable(`accepted ${JSON.stringify(bad)}`)
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError)
        expect((error as UsageError).field).toBe('--proxy-image')
        expect((error as UsageError).suggestion).toMatch(/traefik:v3/)
      }
    }
  })
})
