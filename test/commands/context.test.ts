import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {selfSignedCert} from '../support/certs.js'
import {cli} from '../lab/index.js'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
const KEY_FINGERPRINT = 'SHA256:NTnVL+Ux0o/WCKJK+6TsZeV3H0854KSDmiNXfTXc3wM'
const TOKEN = 'cf-SECRET-token-0123456789abcdefXYZ'

let dir: string
let configFile: string
const saved = {...process.env}
const cwd = process.cwd()

beforeAll(() => {
  delete process.env.RDC_CONTEXT
  delete process.env.RDC_MACHINE
  delete process.env.RDC_CF_DNS_TOKEN
})
afterAll(() => {
  process.env = saved
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdc-foundation-cmd-'))
  configFile = join(dir, 'config.yaml')
  process.env.RDC_CONFIG = configFile
  // A folder of its own (with a package.json) so no project config from elsewhere applies.
  await writeFile(join(dir, 'package.json'), '{"name": "t"}')
  process.chdir(dir)
})
afterEach(async () => {
  process.chdir(cwd)
  delete process.env.RDC_CONTEXT
  delete process.env.RDC_MACHINE
  delete process.env.RDC_CF_DNS_TOKEN
  await rm(dir, {recursive: true, force: true})
})

async function setup(): Promise<void> {
  expect((await cli(['context', 'create', 'prod'])).code).toBe(0)
  expect((await cli(['context', 'add-machine', 'server-1', '--host', '198.51.100.7', '--user', 'deploy', '--host-key', KEY])).code).toBe(0)
}

describe('context create / list / use / current / rename / delete', () => {
  it('creates, lists, switches, renames and deletes contexts, human and --json', async () => {
    const created = await cli(['context', 'create', 'prod'])
    expect(created.stdout).toContain('Created context "prod" (current)')
    expect((await cli(['context', 'create', 'staging', '--json'])).json).toEqual({name: 'staging', current: false})
    const list = await cli(['context', 'list'])
    expect(list.stdout).toMatch(/^\*\s+prod\s+0\s+0$/m)
    expect(list.stdout).toMatch(/^\s+staging\s+0\s+0$/m)
    expect((await cli(['context', 'use', 'staging', '--json'])).json).toEqual({name: 'staging', previous: 'prod'})
    expect((await cli(['context', 'current', '--json'])).json).toEqual({name: 'staging', source: 'file', configPath: configFile})
    expect((await cli(['context', 'current'])).stdout.trim()).toBe('staging (from the current context in the file)')
    process.env.RDC_CONTEXT = 'prod'
    expect((await cli(['context', 'current', '--json'])).json.name).toBe('prod')
    delete process.env.RDC_CONTEXT
    expect((await cli(['context', 'rename', 'staging', 'stage', '--json'])).json).toEqual({from: 'staging', to: 'stage', current: true})
    expect((await cli(['context', 'delete', 'stage', '--json'])).json).toEqual({name: 'stage', machines: 0, wasCurrent: true})
    expect((await cli(['context', 'list', '--json'])).json).toEqual([{name: 'prod', current: false, machines: 0, repositories: 0}])
  })

  it('refuses duplicates, bad names and unknown contexts with the right exit codes, writing nothing', async () => {
    await cli(['context', 'create', 'production'])
    const before = await readFile(configFile, 'utf8')
    const dup = await cli(['context', 'create', 'production', '--json'])
    expect(dup.code).toBe(8)
    expect(dup.json.error.kind).toBe('conflict')
    const bad = await cli(['context', 'create', 'Prod_1', '--json'])
    expect(bad.code).toBe(2)
    expect(bad.json.error).toMatchObject({kind: 'usage', field: 'name'})
    const unknown = await cli(['context', 'use', 'prodution'])
    expect(unknown.code).toBe(4)
    expect(unknown.stderr).toContain('No context named "prodution"')
    expect(unknown.stderr).toContain('Did you mean "production"?')
    expect(await readFile(configFile, 'utf8')).toBe(before)
  })
})

describe('machines', () => {
  it('adds a machine with a given host key, lists and shows it, and removes it', async () => {
    await cli(['context', 'create', 'prod'])
    const added = await cli(['context', 'add-machine', 'server-1', '--host', '198.51.100.7', '--user', 'deploy', '--host-key', KEY, '--json'])
    expect(added.json).toEqual({name: 'server-1', host: '198.51.100.7', user: 'deploy', port: 22, fingerprint: KEY_FINGERPRINT, context: 'prod', scanned: false})
    expect(await readFile(configFile, 'utf8')).toContain(`hostKey: ${KEY}`)
    const human = await cli(['context', 'machines'])
    expect(human.stdout).toMatch(/server-1\s+deploy@198\.51\.100\.7:22\s+-\s+SHA256:NTnVL\+Ux0o/)
    const show = await cli(['context', 'show', '--json'])
    expect(show.json.machines[0].fingerprint).toBe(KEY_FINGERPRINT)
    expect((await cli(['context', 'remove-machine', 'server-1', '--json'])).json).toEqual({machine: 'server-1', context: 'prod'})
    expect((await cli(['context', 'machines', '--json'])).json).toEqual([])
  })

  it('refuses bad machine names, bad host keys and unknown machines (did-you-mean), writing nothing', async () => {
    await setup()
    const before = await readFile(configFile, 'utf8')
    const name = await cli(['context', 'add-machine', 'Server_2', '--host', 'h', '--user', 'u', '--host-key', KEY, '--json'])
    expect(name.code).toBe(2)
    expect(name.json.error.field).toBe('name')
    const key = await cli(['context', 'add-machine', 'server-2', '--host', 'h', '--user', 'u', '--host-key', 'ssh-ed25519 !!!', '--json'])
    expect(key.json.error.field).toBe('--host-key')
    const mismatched = await cli(['context', 'add-machine', 'server-2', '--host', 'h', '--user', 'u', '--host-key', KEY.replace('ssh-ed25519', 'ssh-rsa'), '--json'])
    expect(mismatched.json.error.field).toBe('--host-key')
    const port = await cli(['context', 'add-machine', 'server-2', '--host', 'h', '--user', 'u', '--port', '70000', '--host-key', KEY])
    expect(port.code).toBe(2)
    const unknown = await cli(['context', 'show-infra', 'server-l'])
    expect(unknown.code).toBe(4)
    expect(unknown.stderr).toContain('Did you mean "server-1"?')
    const otherContext = await cli(['context', 'machines', '--context', 'prd', '--json'])
    expect(otherContext.code).toBe(4)
    expect(otherContext.json.error.suggestion).toContain('"prod"')
    expect(await readFile(configFile, 'utf8')).toBe(before)
  })
})

describe('set-infra / show-infra', () => {
  it('changes only the given fields, masks the token everywhere and shows the entry points', async () => {
    await setup()
    const set = await cli(['context', 'set-infra', 'server-1', '--public-ipv4', '198.51.100.7', '--allow-private', '--base-domain', 'Example.COM', '--cert-email', 'admin@example.com', '--cf-dns-token', TOKEN, '--no-token-check', '--tcp-ports', '25,143', '--udp-ports', '5353'])
    expect(set.code).toBe(0)
    expect(set.stdout).toContain('Updated server-1: public-ipv4, base-domain, cert-email, cf-dns-token, tcp-ports, udp-ports.')
    const json = await cli(['context', 'set-infra', 'server-1', '--public-ipv6', '2a01:4f8::1', '--json'])
    expect(json.json).toEqual({
      machine: 'server-1',
      context: 'prod',
      changed: ['public-ipv6'],
      infra: {publicIPv4: '198.51.100.7', publicIPv6: '2a01:4f8::1', baseDomain: 'example.com', certEmail: 'admin@example.com', cfDnsApiToken: '***', cfDnsApiTokenSource: 'file', tcpPorts: [25, 143], udpPorts: [5353]},
    })
    const shown = await cli(['context', 'show-infra', 'server-1', '--json'])
    expect(shown.json.infra.cfDnsApiToken).toBe('***')
    const names = shown.json.entryPoints.map((e: {name: string}) => e.name)
    // Dual-stack: every public entry point binds the specific address, each followed by its IPv6 twin.
    const twins = (n: string) => [n, `${n}-v6`]
    expect(names).toEqual(['web', 'web-v6', 'websecure', 'websecure-v6', ...['tcp-25', 'tcp-143', 'tcp-3306', 'tcp-5432', 'tcp-5672', 'tcp-6379', 'tcp-9092',
      ...Array.from({length: 11}, (_, i) => `tcp-${10_000 + i}`), 'tcp-11211', 'tcp-27017', 'udp-53', 'udp-5353'].flatMap(twins)])
    expect(shown.json.entryPoints[0]).toEqual({name: 'web', kind: 'http', address: '198.51.100.7:80', port: 80, family: 'ipv4', source: 'standard'})
    expect(shown.json.entryPoints[1]).toEqual({name: 'web-v6', kind: 'http', address: '[2a01:4f8::1]:80', port: 80, family: 'ipv6', source: 'standard'})
    expect(shown.json.entryPoints[2]).toEqual({name: 'websecure', kind: 'https', address: '198.51.100.7:443', port: 443, family: 'ipv4', source: 'standard'})
    expect(shown.json.entryPoints[3].address).toBe('[2a01:4f8::1]:443')
    const human = await cli(['context', 'show-infra', 'server-1'])
    expect(human.stdout).toMatch(/Cloudflare token:\s+\*\*\* \(stored\)/)
    expect(human.stdout).toMatch(/websecure-v6\s+\[2a01:4f8::1\]:443\s+standard/)
    expect(human.stdout).toMatch(/tcp-25\s+198\.51\.100\.7:25\s+user/)
    expect(human.stdout).toMatch(/udp-53-v6\s+\[2a01:4f8::1\]:53\/udp\s+preconfigured/)
    process.env.RDC_CF_DNS_TOKEN = `${TOKEN}-from-env`
    expect((await cli(['context', 'show-infra', 'server-1'])).stdout).toMatch(/Cloudflare token:\s+\*\*\* \(from RDC_CF_DNS_TOKEN\)/)
    delete process.env.RDC_CF_DNS_TOKEN
    const unset = await cli(['context', 'set-infra', 'server-1', '--unset', 'public-ipv6', '--unset', 'udp-ports', '--json'])
    expect(unset.json.changed).toEqual(['public-ipv6', 'udp-ports'])
    expect(unset.json.infra.publicIPv6).toBeUndefined()
    const file = await readFile(configFile, 'utf8')
    expect(file).toContain(`cfDnsApiToken: ${TOKEN}`)
    expect(file).not.toContain('publicIPv6')
    for (const out of [set, json, shown, human, unset]) expect(out.stdout + out.stderr).not.toContain(TOKEN)
  })

  it('errors with the field and a fix, exit 2, and writes nothing on bad input', async () => {
    await setup()
    await cli(['context', 'set-infra', 'server-1', '--cf-dns-token', TOKEN, '--no-token-check'])
    const before = await readFile(configFile, 'utf8')
    const cases: Array<[string[], string]> = [
      [['--public-ipv4', '2a01:4f8::1'], '--public-ipv4'],
      [['--public-ipv4', '10.0.0.5'], '--public-ipv4'],
      [['--public-ipv4', '203.0.113.9'], '--public-ipv4'],
      [['--public-ipv6', '198.51.100.7'], '--public-ipv6'],
      [['--public-ipv6', '::1'], '--public-ipv6'],
      [['--base-domain', 'https://example.com'], '--base-domain'],
      [['--base-domain', 'example.com/app'], '--base-domain'],
      [['--base-domain', 'example.com:8443'], '--base-domain'],
      [['--base-domain', `${'a'.repeat(64)}.com`], '--base-domain'],
      [['--cert-email', 'admin@'], '--cert-email'],
      [['--tcp-ports', '25,70000'], '--tcp-ports'],
      [['--tcp-ports', '25,smtp'], '--tcp-ports'],
      [['--tcp-ports', '25,25'], '--tcp-ports'],
      [['--tcp-ports', '443'], '--tcp-ports'],
      [['--udp-ports', '7111'], '--udp-ports'],
      [['--cf-dns-token', `${TOKEN} extra`], '--cf-dns-token'],
      [['--unset', 'base-domain', '--base-domain', 'example.com'], '--base-domain'],
    ]
    for (const [flags, field] of cases) {
      const out = await cli(['context', 'set-infra', 'server-1', ...flags, '--json'])
      expect(out.code, flags.join(' ')).toBe(2)
      expect(out.json.error.field, flags.join(' ')).toBe(field)
      expect(out.json.error.suggestion, flags.join(' ')).toBeTruthy()
      expect(out.stdout + out.stderr).not.toContain(TOKEN)
      const human = await cli(['context', 'set-infra', 'server-1', ...flags])
      expect(human.code).toBe(2)
      expect(human.stderr).toContain(field)
      expect(human.stdout + human.stderr).not.toContain(TOKEN)
    }
    const none = await cli(['context', 'set-infra', 'server-1'])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('Usage: rdc context set-infra <machine>')
    const unknownField = await cli(['context', 'set-infra', 'server-1', '--unset', 'colour'])
    expect(unknownField.code).toBe(2)
    expect(await readFile(configFile, 'utf8')).toBe(before)
  })

  it('resolves the machine and context from RDC_MACHINE / RDC_CONTEXT and a project config, flags first', async () => {
    await setup()
    await cli(['context', 'create', 'staging'])
    await cli(['context', 'add-machine', 'edge', '--host', '198.51.100.8', '--user', 'deploy', '--host-key', KEY, '--context', 'staging'])
    process.env.RDC_MACHINE = 'server-1'
    expect((await cli(['context', 'show-infra', '--json'])).json).toMatchObject({machine: 'server-1', context: 'prod'})
    delete process.env.RDC_MACHINE
    await writeFile(join(dir, '.rdcrc.yaml'), 'context: staging\nmachine: edge\n')
    expect((await cli(['context', 'show-infra', '--json'])).json).toMatchObject({machine: 'edge', context: 'staging'})
    expect((await cli(['context', 'current', '--json'])).json).toMatchObject({name: 'staging', source: 'project'})
    process.env.RDC_CONTEXT = 'prod'
    process.env.RDC_MACHINE = 'server-1'
    expect((await cli(['context', 'show-infra', '--json'])).json).toMatchObject({machine: 'server-1', context: 'prod'})
    expect((await cli(['context', 'show-infra', 'edge', '--context', 'staging', '--json'])).json).toMatchObject({machine: 'edge', context: 'staging'})
  })

  it('sets and clears the proxy image, refusing what is not an image reference', async () => {
    await setup()
    const set = await cli(['context', 'set-infra', 'server-1', '--proxy-image', 'registry.example.com/mirror/traefik:v3.6.11', '--json'])
    expect(set.code).toBe(0)
    expect(set.json.changed).toEqual(['proxy-image'])
    const shown = await cli(['context', 'show-infra', 'server-1', '--json'])
    expect(shown.json.infra.proxyImage).toBe('registry.example.com/mirror/traefik:v3.6.11')
    const before = await readFile(configFile, 'utf8')
    const bad = await cli(['context', 'set-infra', 'server-1', '--proxy-image', 'Traefik latest', '--json'])
    expect(bad.code).toBe(2)
    expect(bad.json.error.field).toBe('--proxy-image')
    expect(await readFile(configFile, 'utf8')).toBe(before)
    const unset = await cli(['context', 'set-infra', 'server-1', '--unset', 'proxy-image', '--json'])
    expect(unset.json.changed).toEqual(['proxy-image'])
    expect((await cli(['context', 'show-infra', 'server-1', '--json'])).json.infra.proxyImage).toBeUndefined()
  })

  it('reports an invalid context file with exit 3, the key path and line, leaving it untouched', async () => {
    await setup()
    const text = (await readFile(configFile, 'utf8')).replace('port: 22', 'port: 0')
    await writeFile(configFile, text)
    const out = await cli(['context', 'set-infra', 'server-1', '--base-domain', 'example.com', '--json'])
    expect(out.code).toBe(3)
    expect(out.json.error.message).toContain('contexts.prod.machines.server-1.port')
    expect(out.json.error.message).toMatch(/line \d+/)
    expect(await readFile(configFile, 'utf8')).toBe(text)
  })
})

describe('set-infra / show-infra / push-infra: ACME CA, DNS resolvers and proxy environment', () => {
  const ENV_SECRET = 'lego-SECRET-value-4242'
  const STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory'
  const CA_URL = 'https://ca.internal:9000/acme/acme/directory'
  const ca = selfSignedCert({cn: 'Test ACME Root', days: 3650})

  it('sets them, shows them (--json round trip, secrets ***), renders them and removes them', async () => {
    await setup()
    await writeFile(join(dir, 'root_ca.crt'), `# the lab's root\n${ca.cert}`)
    const set = await cli(['context', 'set-infra', 'server-1', '--public-ipv4', '198.51.100.7', '--allow-private', '--cf-dns-token', TOKEN, '--no-token-check',
      '--acme-ca-server', CA_URL, '--acme-ca-cert', 'root_ca.crt', '--dns-resolvers', '1.1.1.1,[2606:4700::1111]:53,dns.google:5353',
      '--proxy-env', 'CLOUDFLARE_PROPAGATION_TIMEOUT=300', '--proxy-env', `LEGO_API_TOKEN=${ENV_SECRET}`, '--json'])
    expect(set.code).toBe(0)
    expect(set.json.changed).toEqual(['public-ipv4', 'cf-dns-token', 'acme-ca-server', 'acme-ca-cert', 'dns-resolvers', 'proxy-env'])
    expect(set.json.infra).toMatchObject({
      acmeCaServer: CA_URL,
      acmeCaCertificates: ca.cert,
      acmeCaCertificateList: [{subject: 'CN=Test ACME Root', notAfter: expect.any(String), sha256: expect.any(String)}],
      dnsResolvers: ['1.1.1.1:53', '[2606:4700::1111]:53', 'dns.google:5353'],
      proxyEnv: {CLOUDFLARE_PROPAGATION_TIMEOUT: '300', LEGO_API_TOKEN: '***'},
    })
    const shown = await cli(['context', 'show-infra', 'server-1', '--json'])
    expect(shown.json.infra).toEqual(set.json.infra)
    const human = await cli(['context', 'show-infra', 'server-1'])
    expect(human.stdout).toMatch(/ACME CA:\s+https:\/\/ca\.internal:9000\/acme\/acme\/directory\n/)
    expect(human.stdout).toMatch(/ACME CA trusts:\s+CN=Test ACME Root \(until \d{4}-\d\d-\d\d\)\n/)
    expect(human.stdout).toMatch(/DNS resolvers:\s+1\.1\.1\.1:53, \[2606:4700::1111\]:53, dns\.google:5353\n/)
    expect(human.stdout).toMatch(/proxy env:\s+CLOUDFLARE_PROPAGATION_TIMEOUT=300, LEGO_API_TOKEN=\*\*\*\n/)
    // Stored in the file (0600) as given; the PEM as canonical certificate text, without the comment.
    const file = await readFile(configFile, 'utf8')
    expect(file).toContain(`LEGO_API_TOKEN: ${ENV_SECRET}`)
    expect(file).not.toContain("the lab's root")

    const out = join(dir, 'out')
    const pushed = await cli(['context', 'push-infra', 'server-1', '--out', out, '--json'])
    expect(pushed.code).toBe(0)
    const proxy = join(out, 'opt/rediacc/proxy')
    const traefik = await readFile(join(proxy, 'traefik.yml'), 'utf8')
    expect(traefik).toContain(`      caServer: "${CA_URL}"\n`)
    expect(traefik).toMatch(/ {6}caCertificates:\n {8}- "\/etc\/traefik\/acme-ca\.pem"\n/)
    expect(traefik).toMatch(/ {8}resolvers:\n {10}- "1\.1\.1\.1:53"\n {10}- "\[2606:4700::1111\]:53"\n {10}- "dns\.google:5353"\n/)
    expect(await readFile(join(proxy, 'acme-ca.pem'), 'utf8')).toBe(ca.cert)
    expect((await stat(join(proxy, 'acme-ca.pem'))).mode & 0o777).toBe(0o644)
    expect(await readFile(join(proxy, 'docker-compose.yml'), 'utf8')).toContain('      - "./acme-ca.pem:/etc/traefik/acme-ca.pem:ro"\n')
    expect((await readFile(join(proxy, 'config.env'), 'utf8')).split('\n').slice(2)).toEqual([
      `CF_DNS_API_TOKEN=${TOKEN}`, 'CLOUDFLARE_PROPAGATION_TIMEOUT=300', `LEGO_API_TOKEN=${ENV_SECRET}`, '',
    ])
    expect((await stat(join(proxy, 'config.env'))).mode & 0o777).toBe(0o600)

    const removed = await cli(['context', 'set-infra', 'server-1', '--proxy-env', 'LEGO_API_TOKEN=', '--acme-staging', '--json'])
    expect(removed.json.changed).toEqual(['acme-ca-server', 'proxy-env'])
    expect(removed.json.infra.proxyEnv).toEqual({CLOUDFLARE_PROPAGATION_TIMEOUT: '300'})
    expect(removed.json.infra.acmeCaServer).toBe(STAGING)
    expect((await cli(['context', 'show-infra', 'server-1'])).stdout).toContain(`${STAGING} (Let's Encrypt staging)`)
    const again = await cli(['context', 'set-infra', 'server-1', '--proxy-env', 'LEGO_API_TOKEN=', '--json'])
    expect(again.json.changed).toEqual([])

    const unset = await cli(['context', 'set-infra', 'server-1', '--unset', 'acme-ca-server', '--unset', 'acme-ca-cert', '--unset', 'dns-resolvers', '--unset', 'proxy-env', '--json'])
    expect(unset.json.changed).toEqual(['acme-ca-server', 'acme-ca-cert', 'dns-resolvers', 'proxy-env'])
    for (const key of ['acmeCaServer', 'acmeCaCertificates', 'acmeCaCertificateList', 'dnsResolvers', 'proxyEnv']) expect(unset.json.infra).not.toHaveProperty(key)
    const after = await readFile(configFile, 'utf8')
    for (const key of ['acmeCaServer', 'acmeCaCertificates', 'dnsResolvers', 'proxyEnv']) expect(after).not.toContain(key)
    const defaults = await cli(['context', 'show-infra', 'server-1'])
    expect(defaults.stdout).toMatch(/ACME CA:\s+Let's Encrypt production \(default\)\n/)
    expect(defaults.stdout).toMatch(/DNS resolvers:\s+1\.1\.1\.1:53, 1\.0\.0\.1:53 \(default\)\n/)
    await cli(['context', 'push-infra', 'server-1', '--out', out])
    expect(await readFile(join(proxy, 'traefik.yml'), 'utf8')).not.toMatch(/caServer|caCertificates/)
    expect(await readFile(join(proxy, 'docker-compose.yml'), 'utf8')).not.toContain('acme-ca.pem')
    for (const o of [set, shown, human, pushed, removed, again, unset, defaults]) expect(o.stdout + o.stderr).not.toContain(ENV_SECRET)
  })

  it('refuses bad input for each flag with exit 2, naming the flag with a fix, never echoing a secret, and writes nothing', async () => {
    await setup()
    await cli(['context', 'set-infra', 'server-1', '--proxy-env', `DB_PASSWORD=${ENV_SECRET}`, '--acme-ca-server', CA_URL])
    const before = await readFile(configFile, 'utf8')
    await writeFile(join(dir, 'ca-and-key.pem'), `${ca.cert}${ca.key}`)
    await writeFile(join(dir, 'notes.txt'), 'not a certificate\n')
    await writeFile(join(dir, 'truncated.pem'), ca.cert.slice(0, 200))
    await mkdir(join(dir, 'folder.pem'))
    const cases: Array<[string[], string, string]> = [
      [['--acme-ca-server', 'http://ca.internal/dir'], '--acme-ca-server', 'https'],
      [['--acme-ca-server', 'ca.internal/dir'], '--acme-ca-server', 'not a URL'],
      [['--acme-ca-server', 'https:///dir'], '--acme-ca-server', 'no host'],
      [['--acme-staging', '--acme-ca-server', CA_URL], '--acme-staging', '--acme-ca-server'],
      [['--acme-staging', '--unset', 'acme-ca-server'], '--acme-staging', '--unset acme-ca-server'],
      [['--acme-ca-cert', 'missing.pem'], '--acme-ca-cert', 'no such file'],
      [['--acme-ca-cert', 'folder.pem'], '--acme-ca-cert', 'folder'],
      [['--acme-ca-cert', 'ca-and-key.pem'], '--acme-ca-cert', '"ca-and-key.pem" contains a PRIVATE KEY'],
      [['--acme-ca-cert', 'notes.txt'], '--acme-ca-cert', 'no "-----BEGIN CERTIFICATE-----" block'],
      [['--acme-ca-cert', 'truncated.pem'], '--acme-ca-cert', '-----END'],
      [['--dns-resolvers', '1.1.1.1:0'], '--dns-resolvers', 'port'],
      [['--dns-resolvers', '[1.1.1.1]:53'], '--dns-resolvers', 'not an IPv6'],
      [['--dns-resolvers', '2606:4700::1111:53x'], '--dns-resolvers', 'not an IPv6'],
      [['--dns-resolvers', 'dns_resolver.example'], '--dns-resolvers', 'not an IP address or DNS name'],
      [['--dns-resolvers', '1.1.1.1,1.1.1.1:53'], '--dns-resolvers', 'twice'],
      [['--dns-resolvers', '1.1.1.1', '--unset', 'dns-resolvers'], '--dns-resolvers', 'both given'],
      [['--proxy-env', 'lower_case=1'], '--proxy-env', 'not a valid variable name'],
      [['--proxy-env', `CF_DNS_API_TOKEN=${ENV_SECRET}`], '--proxy-env', '--cf-dns-token'],
      [['--proxy-env', ENV_SECRET], '--proxy-env', 'no "="'],
      [['--proxy-env', `API_TOKEN=${ENV_SECRET}\nEVIL=1`], '--proxy-env', 'line break'],
      [['--proxy-env', `API_TOKEN=${ENV_SECRET} `], '--proxy-env', 'whitespace'],
      [['--proxy-env', `API_TOKEN=${ENV_SECRET}$HOME`], '--proxy-env', '"$"'],
      [['--proxy-env', 'A=1', '--proxy-env', 'A=2'], '--proxy-env', 'twice'],
      [['--proxy-env', 'A=1', '--unset', 'proxy-env'], '--proxy-env', 'both given'],
    ]
    for (const [flags, field, why] of cases) {
      const label = flags.join(' ')
      const out = await cli(['context', 'set-infra', 'server-1', ...flags, '--json'])
      expect(out.code, label).toBe(2)
      expect(out.json.error.field, label).toBe(field)
      expect(out.json.error.message, label).toContain(field)
      expect(out.json.error.message, label).toContain(why)
      expect(out.json.error.suggestion, label).toBeTruthy()
      const human = await cli(['context', 'set-infra', 'server-1', ...flags])
      expect(human.code, label).toBe(2)
      expect(human.stderr, label).toContain(field)
      for (const o of [out, human]) expect(o.stdout + o.stderr, label).not.toContain(ENV_SECRET)
      expect(await readFile(configFile, 'utf8'), label).toBe(before)
    }
  })

  it('reports a bad value in the file with exit 3 and its key path, never the secret value, and leaves the file alone', async () => {
    await setup()
    await cli(['context', 'set-infra', 'server-1', '--proxy-env', `API_TOKEN=${ENV_SECRET}`])
    const text = (await readFile(configFile, 'utf8')).replace(`API_TOKEN: ${ENV_SECRET}`, `API_TOKEN: " ${ENV_SECRET}"`)
    expect(text).toContain(`" ${ENV_SECRET}"`)
    await writeFile(configFile, text)
    const out = await cli(['context', 'show-infra', 'server-1', '--json'])
    expect(out.code).toBe(3)
    expect(out.json.error.message).toContain('contexts.prod.machines.server-1.infra.proxyEnv.API_TOKEN')
    expect(out.json.error.message).toMatch(/line \d+/)
    expect(out.stdout + out.stderr).not.toContain(ENV_SECRET)
    const bad = text.replace(/proxyEnv:\n(\s+)API_TOKEN: .*\n/, 'acmeCaServer: http://ca.internal/dir\n')
    await writeFile(configFile, bad)
    const out2 = await cli(['context', 'set-infra', 'server-1', '--base-domain', 'example.com', '--json'])
    expect(out2.code).toBe(3)
    expect(out2.json.error.message).toContain('contexts.prod.machines.server-1.infra.acmeCaServer')
    expect(await readFile(configFile, 'utf8')).toBe(bad)
  })
})
