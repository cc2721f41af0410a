import fc from 'fast-check'
import {generateKeyPairSync, X509Certificate} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {selfSignedCert} from '../../test/support/certs.js'
import {UsageError} from '../errors.js'
import {RESERVED_PORTS} from '../net/entrypoints.js'
import {
  isSecretEnvKey,
  parseProxyEnvFlags,
  validateAcmeCaServer,
  validateBaseDomain,
  validateCaCertificates,
  validateDatastore,
  validateDnsResolvers,
  validateEmail,
  validateEnvValue,
  validateHost,
  validateImageRef,
  validateName,
  validatePorts,
  validateProxyEnv,
  validatePublicIPv4,
  validatePublicIPv6,
  validateSize,
  validateToken,
} from './validate.js'

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

describe('validateAcmeCaServer', () => {
  it('accepts https directory URLs with a host, as given', () => {
    for (const url of [
      'https://acme-staging-v02.api.letsencrypt.org/directory',
      'https://ca.internal:9000/acme/acme/directory',
      'https://198.18.0.1:14000/dir',
      'https://[fd72:6463:7468::1]:14000/dir',
      ' https://ca.example.com/dir\n',
    ]) {
      expect(validateAcmeCaServer(url)).toBe(url.trim())
    }
  })

  it('refuses other schemes, no host, credentials and what is not a URL, naming --acme-ca-server', () => {
    for (const [bad, why] of [
      ['http://ca.example.com/dir', 'https'],
      ['ftp://ca.example.com/dir', 'https'],
      ['ca.example.com/dir', 'not a URL'],
      ['https://', 'not a URL'],
      ['https:///dir', 'no host'],
      ['https://user:pw@ca.example.com/dir', 'user name or password'],
      ['https://ca.example.com/a b', 'spaces'],
      ['https://ca.example.com/\ndir', 'control'],
      ['https:\\\\ca.example.com\\dir', 'backslashes'],
      ['', 'empty'],
    ]) {
      const err = usageError(() => validateAcmeCaServer(bad!))
      expect(err.field, bad).toBe('--acme-ca-server')
      expect(err.message, bad).toContain(why)
      expect(err.suggestion).toMatch(why === 'user name or password' ? /Drop the "user:password@" part/ : /--acme-staging/)
    }
    expect(usageError(() => validateAcmeCaServer('http://x/dir', 'acmeCaServer')).field).toBe('acmeCaServer')
    expect(usageError(() => validateAcmeCaServer('https://u:secretpw@ca.example.com/dir')).message).not.toContain('secretpw')
  })
})

describe('validateCaCertificates', () => {
  const a = selfSignedCert({cn: 'Test ACME Root A', days: 3650})
  const b = selfSignedCert({cn: 'Test ACME Root B', days: 3650})

  it('accepts one or more CERTIFICATE blocks (text between them, CRLF) and returns them as canonical PEM', () => {
    expect(validateCaCertificates(a.cert)).toBe(new X509Certificate(a.cert).toString())
    const bundle = `# Root A\n${a.cert.replaceAll('\n', '\r\n')}\nsubject=CN = Root B\n${b.cert}`
    const out = validateCaCertificates(bundle, '--acme-ca-cert', 'bundle.pem')
    expect(out.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2)
    expect(out).not.toContain('\r')
    expect(out).not.toContain('#')
    // Canonical output validates to itself (the file check on read sees what set-infra stored).
    expect(validateCaCertificates(out)).toBe(out)
  })

  it('refuses a private key anywhere, naming the block and the file, without echoing the key', () => {
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    const sec1 = privateKey.export({type: 'sec1', format: 'pem'}) as string
    for (const [text, label] of [
      [`${a.cert}${a.key}`, 'PRIVATE KEY'],
      [`${sec1}${a.cert}`, 'EC PRIVATE KEY'],
      [`${a.cert}-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n`, 'OPENSSH PRIVATE KEY'],
      [`${a.cert}-----BEGIN ENCRYPTED PRIVATE KEY-----\n`, 'ENCRYPTED PRIVATE KEY'],
    ]) {
      const err = usageError(() => validateCaCertificates(text!, '--acme-ca-cert', 'ca-and-key.pem'))
      expect(err.field).toBe('--acme-ca-cert')
      expect(err.message).toContain(`contains a ${label}`)
      expect(err.message).toContain('"ca-and-key.pem"')
      expect(`${err.message} ${err.suggestion}`).not.toContain(a.key.split('\n')[1])
    }
  })

  it('refuses empty files, other block types, truncated and corrupt certificates', () => {
    const {publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    const body = a.cert.split('\n')
    const corrupt = [body[0], body[1]!.replace(/^.{8}/, 'AAAAAAAA'), ...body.slice(2)].join('\n')
    for (const [text, why] of [
      ['', 'no "-----BEGIN CERTIFICATE-----" block'],
      ['just some text\n', 'no "-----BEGIN CERTIFICATE-----" block'],
      [`${a.cert}${publicKey.export({type: 'spki', format: 'pem'})}`, 'block 2 of the PEM text is a PUBLIC KEY, not a CERTIFICATE'],
      [a.cert.replace('-----END CERTIFICATE-----', ''), 'without its matching "-----END" line'],
      [corrupt, 'certificate 1 of the PEM text does not parse'],
      ['x'.repeat(1024 * 1024 + 1), 'larger than 1 MiB'],
    ]) {
      const err = usageError(() => validateCaCertificates(text!))
      expect(err.field).toBe('--acme-ca-cert')
      expect(err.message).toContain(why)
    }
  })
})

describe('validateDnsResolvers', () => {
  it('normalises IPv4, IPv6 and names to host:port, adding :53, in the order given', () => {
    expect(validateDnsResolvers('1.1.1.1:53,[2606:4700::1111]:53')).toEqual(['1.1.1.1:53', '[2606:4700::1111]:53'])
    expect(validateDnsResolvers(' 9.9.9.9 , 2620:FE::FE , [2620:fe::9] , dns.google , Resolver.Example.NET.:5353 , 8.8.8.8:0053')).toEqual([
      '9.9.9.9:53', '[2620:fe::fe]:53', '[2620:fe::9]:53', 'dns.google:53', 'resolver.example.net:5353', '8.8.8.8:53',
    ])
    fc.assert(fc.property(v4, fc.integer({min: 1, max: 65_535}).filter((p) => p !== 53), (ip, port) => {
      expect(validateDnsResolvers([`${ip}:${port}`, ip])).toEqual([`${ip}:${port}`, `${ip}:53`])
    }))
    // What the file stores reads back unchanged.
    expect(validateDnsResolvers(['1.1.1.1:53', '[2606:4700::1111]:53'], 'dnsResolvers')).toEqual(['1.1.1.1:53', '[2606:4700::1111]:53'])
  })

  it('refuses bad hosts and ports, duplicates and empty lists, naming --dns-resolvers', () => {
    for (const [bad, why] of [
      ['1.1.1.1:0', 'port'],
      ['1.1.1.1:65536', 'port'],
      ['1.1.1.1:dns', 'port'],
      ['1.1.1.1:', 'port'],
      ['[2606:4700::1111]:', 'port'],
      ['[1.1.1.1]:53', 'not an IPv6'],
      ['2606:4700::1111:53:x', 'not an IPv6'],
      ['fe80::1%eth0', 'not an IPv6'],
      ['256.1.1.1', 'not a valid IPv4'],
      ['1.2.3', 'not a valid IPv4'],
      ['dns_resolver.example', 'not an IP address or DNS name'],
      ['udp://1.1.1.1', 'scheme or path'],
      ['1.1.1.1:53/udp', 'scheme or path'],
      ['1.1.1.1,,1.0.0.1', 'empty'],
      ['1.1.1.1,1.1.1.1:53', 'listed twice'],
      ['', 'no resolvers'],
    ]) {
      const err = usageError(() => validateDnsResolvers(bad!))
      expect(err.field, bad).toBe('--dns-resolvers')
      expect(err.message, bad).toContain(why)
      expect(err.suggestion).toBeTruthy()
    }
    expect(usageError(() => validateDnsResolvers('')).suggestion).toContain('--unset dns-resolvers')
  })
})

describe('proxy environment', () => {
  it('parses KEY=VALUE entries (KEY= removes), keeping "=" inside values', () => {
    expect(parseProxyEnvFlags(['CLOUDFLARE_PROPAGATION_TIMEOUT=300', 'CLOUDFLARE_BASE_URL=https://api.example.com/v4?a=b', 'OLD='])).toEqual({
      set: {CLOUDFLARE_PROPAGATION_TIMEOUT: '300', CLOUDFLARE_BASE_URL: 'https://api.example.com/v4?a=b'},
      remove: ['OLD'],
    })
    expect(validateProxyEnv({B: '2', A: '1'})).toEqual({A: '1', B: '2'})
  })

  it('tells secrets by their name', () => {
    for (const key of ['CLOUDFLARE_DNS_API_TOKEN', 'API_KEY', 'KEYCLOAK_URL', 'CLIENT_SECRET', 'DB_PASSWORD', 'my_token']) expect(isSecretEnvKey(key), key).toBe(true)
    for (const key of ['CLOUDFLARE_PROPAGATION_TIMEOUT', 'CLOUDFLARE_BASE_URL', 'HTTPS_PROXY']) expect(isSecretEnvKey(key), key).toBe(false)
  })

  it('refuses bad names, the token, bad values and repeats, naming --proxy-env and never the value', () => {
    const SECRET = 'hunter2-VALUE-never-shown'
    for (const [entry, why] of [
      ['lower=1', 'not a valid variable name'],
      ['1ST=1', 'not a valid variable name'],
      ['A-B=1', 'not a valid variable name'],
      ['=1', 'not a valid variable name'],
      [`CF_DNS_API_TOKEN=${SECRET}`, '--cf-dns-token'],
      [SECRET, 'no "="'],
      [`API_TOKEN=${SECRET}\nEVIL=1`, 'line break'],
      [`API_TOKEN=${SECRET}\r`, 'line break'],
      [`API_TOKEN=${SECRET}\u0000`, 'NUL'],
      [`API_TOKEN=${SECRET}\u001b[0m`, 'control character'],
      [`API_TOKEN= ${SECRET}`, 'leading or trailing whitespace'],
      [`API_TOKEN=${SECRET}\t`, 'control character'],
      [`API_TOKEN="${SECRET}"`, 'starts with a quote'],
      [`API_TOKEN=${SECRET}$HOME`, 'contains "$"'],
      [`API_TOKEN=${SECRET} #x`, 'contains " #"'],
    ]) {
      const err = usageError(() => parseProxyEnvFlags(['OK=1', entry!]))
      expect(err.field, entry).toBe('--proxy-env')
      expect(err.message, entry).toContain(why)
      expect(`${err.message} ${err.suggestion}`, entry).not.toContain(SECRET)
    }
    expect(usageError(() => parseProxyEnvFlags(['A=1', 'A=2'])).message).toContain('A is given twice')
    expect(usageError(() => validateEnvValue('A', '')).suggestion).toContain('A=')
    expect(usageError(() => validateProxyEnv({A: ' x'})).field).toBe('proxyEnv')
  })
})

describe('validateHost', () => {
  it('accepts IPv4, IPv6 (brackets dropped), DNS names and ~/.ssh/config aliases', () => {
    expect(validateHost('198.51.100.7')).toBe('198.51.100.7')
    expect(validateHost('[2001:db8::1]')).toBe('2001:db8::1')
    expect(validateHost('server-1.example.com')).toBe('server-1.example.com')
    expect(validateHost('server-1.example.com.')).toBe('server-1.example.com.')
    expect(validateHost('my_box')).toBe('my_box')
    expect(validateHost('a1.b2.c3')).toBe('a1.b2.c3')
  })

  it('refuses what the resolver would read as some other IPv4 address, naming --host with a fix', () => {
    for (const bad of ['999.1.1.1', '127.1', '1.2.3', '010.1.1.1', '2130706433', '0x7f000001', '127.0.0.0x1', '1.2.3.4.5']) {
      const err = usageError(() => validateHost(bad))
      expect(err.field).toBe('--host')
      expect(err.message).toContain(`"${bad}" is not a valid IPv4 address`)
      expect(err.suggestion).toContain('all four parts')
    }
  })

  it('refuses shell text, user@, :port, empty labels, hyphens at the edges and control characters', () => {
    for (const bad of ['1.2.3.4; rm -rf /', 'deploy@host', 'host:22', 'a..b', '.a', '-oProxyCommand=x', 'a-.b', 'a\nb', '', 'a'.repeat(64), `${'a.'.repeat(127)}b`]) {
      expect(usageError(() => validateHost(bad)).field, bad).toBe('--host')
    }
  })
})

describe('validateDatastore', () => {
  it('accepts an absolute, normalised path', () => {
    for (const good of ['/mnt/rediacc', '/srv/data-1/x_y.z', '/mnt/a+b@c']) expect(validateDatastore(good)).toBe(good)
  })

  it('refuses relative paths, "..", other forms, the root, control characters and shell characters, naming --datastore', () => {
    const cases: Array<[string, RegExp]> = [
      ['mnt/rediacc', /not an absolute path/],
      ['../../etc', /not an absolute path/],
      ['/mnt/../etc', /contains "\.\."/],
      ['/mnt/rediacc/..', /contains "\.\."/],
      ['/mnt//rediacc', /not in normal form/],
      ['/mnt/./rediacc', /not in normal form/],
      ['/mnt/rediacc/', /not in normal form/],
      ['/', /root folder/],
      ['/mnt/x\nrm -rf /', /control character/],
      ['/mnt/\trediacc', /control character/],
      ['/mnt/$(id)', /contains "\$"/],
      ['/mnt/a b', /contains " "/],
      ['/mnt/`id`', /contains "`"/],
      ['', /not an absolute path/],
    ]
    for (const [bad, why] of cases) {
      const err = usageError(() => validateDatastore(bad))
      expect(err.field, bad).toBe('--datastore')
      expect(err.message, bad).toMatch(why)
      expect(err.suggestion, bad).toMatch(/--datastore \//)
    }
    expect(usageError(() => validateDatastore('/mnt//rediacc/')).suggestion).toBe('Write it as --datastore /mnt/rediacc.')
  })
})

describe('validateSize', () => {
  it('takes 16M to 16T, upper-casing the unit', () => {
    expect(validateSize('16M')).toBe('16M')
    expect(validateSize('16t')).toBe('16T')
    expect(validateSize('16384G')).toBe('16384G')
  })

  it('refuses more than 16T (the largest file ext4 holds), absurd digit strings and non-sizes, naming --size', () => {
    for (const bad of ['17T', '16385G', '99999999999999T', '9'.repeat(400), '1e3G', '-1G', '2GB', ' ']) {
      const err = usageError(() => validateSize(bad))
      expect(err.field, bad).toBe('--size')
    }
    expect(usageError(() => validateSize('99999999999999T')).message).toMatch(/is not a size|larger than 16T/)
    expect(usageError(() => validateSize('17T')).message).toContain('larger than 16T')
    expect(usageError(() => validateSize('17T')).suggestion).toBe('Use at most --size 16T.')
  })
})
