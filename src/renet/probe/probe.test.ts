import {execFile} from 'node:child_process'
import {createSocket, type Socket as UdpSocket} from 'node:dgram'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer as createHttpServer, type Server as HttpServer} from 'node:http'
import {createServer as createNetServer, type AddressInfo, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createSecureContext, createServer as createTlsServer} from 'node:tls'
import {promisify} from 'node:util'

import {build} from 'esbuild'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {selfSignedCert} from '../../../test/support/certs.js'
import {runProbe} from './run.js'
import {parseSpec, SpecError} from './spec.js'
import {derBase64, makeChain} from './test-certs.js'
import {sanCovers, TRAEFIK_DEFAULT_CN} from './tls.js'
import type {HttpResult, ProbeReport, TlsResult, UdpResult} from './types.js'
import {stunBindingRequest, stunMappedAddress} from './udp.js'

const run = promisify(execFile)
const LO = '127.0.0.1'

function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, LO, () => resolve((server.address() as AddressInfo).port)))
}

/** A port that was just free: bind, read, close. */
async function closedPort(): Promise<number> {
  const s = createNetServer()
  const port = await listen(s)
  await new Promise((r) => s.close(r))
  return port
}

function stunReply(request: Buffer, ip: string, port: number): Buffer {
  const reply = Buffer.alloc(32)
  reply.writeUInt16BE(0x01_01, 0)
  reply.writeUInt16BE(12, 2)
  request.copy(reply, 4, 4, 20)
  reply.writeUInt16BE(0x00_20, 20)
  reply.writeUInt16BE(8, 22)
  reply[25] = 0x01
  reply.writeUInt16BE(port ^ 0x21_12, 26)
  const v = ip.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0
  reply.writeUInt32BE((v ^ 0x21_12_a4_42) >>> 0, 28)
  return reply
}

describe('renet probe against real loopback servers', () => {
  const servers: Array<Server | HttpServer> = []
  const sockets: Socket[] = []
  const udps: UdpSocket[] = []
  let openPort: number
  let silentPort: number
  let httpPort: number
  let tlsPort: number
  let stunPort: number
  let mutePort: number
  const app = selfSignedCert({cn: 'app.diag.test', sans: ['app.diag.test']})
  const wildcard = selfSignedCert({cn: 'wild.diag.test', sans: ['*.wild.diag.test']})
  const fallback = selfSignedCert({cn: TRAEFIK_DEFAULT_CN, sans: ['0b1f.traefik.default']})
  const issued = makeChain({names: ['acme.diag.test']})

  beforeAll(async () => {
    const open = createNetServer((s) => s.end())
    // Accepts and never speaks: a TLS or HTTP client waiting on it must time out.
    const silent = createNetServer((s) => sockets.push(s))
    const http = createHttpServer((req, res) => {
      if (req.url === '/big') {
        res.end('x'.repeat(5000))
        return
      }
      res.writeHead(req.url === '/missing' ? 404 : 200, {'content-type': 'application/json'})
      res.end(JSON.stringify({path: req.url, host: req.headers.host}))
    })
    // Like Traefik: the certificate for a known SNI name, else its generated default.
    const contexts: Record<string, ReturnType<typeof createSecureContext>> = {
      'app.diag.test': createSecureContext(app),
      'x.wild.diag.test': createSecureContext(wildcard),
      // As Traefik serves an ACME certificate: leaf and intermediate, and the root too here, to see it dropped.
      'acme.diag.test': createSecureContext({key: issued.leaf.key, cert: issued.leaf.cert + issued.intermediate.cert + issued.root.cert}),
      // As Let's Encrypt and Pebble serve it: leaf and intermediate, no root.
      'le.diag.test': createSecureContext({key: issued.leaf.key, cert: issued.leaf.cert + issued.intermediate.cert}),
    }
    const tls = createTlsServer({...fallback, SNICallback: (name, cb) => cb(null, contexts[name] ?? createSecureContext(fallback))}, (s) => s.end())
    servers.push(open, silent, http, tls)
    openPort = await listen(open)
    silentPort = await listen(silent)
    httpPort = await listen(http)
    tlsPort = await listen(tls)

    const stun = createSocket('udp4')
    stun.on('message', (msg, rinfo) => stun.send(stunReply(msg, '198.51.100.20', 3478), rinfo.port, rinfo.address))
    const mute = createSocket('udp4')
    udps.push(stun, mute)
    stunPort = await new Promise((r) => stun.bind(0, LO, () => r(stun.address().port)))
    mutePort = await new Promise((r) => mute.bind(0, LO, () => r(mute.address().port)))
  })

  afterAll(async () => {
    for (const s of sockets) s.destroy()
    for (const u of udps) u.close()
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  })

  it('tells open, refused and (for a silent TLS peer) timeout apart', async () => {
    const refused = await closedPort()
    const results = await runProbe({
      timeoutMs: 400,
      checks: [
        {id: 'open', kind: 'tcp', host: LO, port: openPort},
        {id: 'refused', kind: 'tcp', host: LO, port: refused},
        {id: 'silent-tls', kind: 'tls', host: LO, port: silentPort, servername: 'app.diag.test'},
      ],
    })
    expect(results.map((r) => [r.id, r.outcome, r.error])).toEqual([
      ['open', 'ok', undefined],
      ['refused', 'refused', 'ECONNREFUSED'],
      ['silent-tls', 'timeout', 'ETIMEDOUT'],
    ])
  })

  it('GETs over HTTP with status and body, cuts long bodies, and times out on a silent server', async () => {
    const [okRes, missing, big, silent] = (await runProbe({
      timeoutMs: 400,
      checks: [
        {id: 'ok', kind: 'http', url: `http://${LO}:${httpPort}/health`},
        {id: 'missing', kind: 'http', url: `http://${LO}:${httpPort}/missing`},
        {id: 'big', kind: 'http', url: `http://${LO}:${httpPort}/big`, maxBody: 100},
        {id: 'silent', kind: 'http', url: `http://${LO}:${silentPort}/`},
      ],
    })) as HttpResult[]
    expect(okRes).toMatchObject({outcome: 'ok', status: 200})
    expect(JSON.parse(okRes!.body!)).toEqual({path: '/health', host: `${LO}:${httpPort}`})
    expect(missing).toMatchObject({outcome: 'ok', status: 404})
    expect(big).toMatchObject({outcome: 'ok', status: 200, truncated: true})
    expect(big!.body).toHaveLength(100)
    expect(silent).toMatchObject({outcome: 'timeout'})
  })

  it('speaks HTTP over a unix socket (how the Docker API is read)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-sock-'))
    const path = join(dir, 'api.sock')
    const server = createHttpServer((req, res) => res.end(JSON.stringify({ApiVersion: '1.43', url: req.url})))
    await new Promise<void>((r) => server.listen(path, () => r()))
    try {
      const [res] = (await runProbe({checks: [{id: 'docker', kind: 'http', url: 'http://docker/version', socketPath: path}]})) as HttpResult[]
      expect(res).toMatchObject({outcome: 'ok', status: 200})
      expect(JSON.parse(res!.body!)).toEqual({ApiVersion: '1.43', url: '/version'})
    } finally {
      await new Promise((r) => server.close(r))
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('reads the certificate served for each SNI name and recognises Traefik’s default certificate', async () => {
    const [exact, wild, unknown] = (await runProbe({
      checks: [
        {id: 'exact', kind: 'tls', host: LO, port: tlsPort, servername: 'app.diag.test'},
        {id: 'wild', kind: 'tls', host: LO, port: tlsPort, servername: 'x.wild.diag.test'},
        {id: 'unknown', kind: 'tls', host: LO, port: tlsPort, servername: 'nobody.diag.test'},
      ],
    })) as TlsResult[]
    expect(exact!.cert).toMatchObject({
      subjectCN: 'app.diag.test',
      issuerCN: 'app.diag.test',
      sans: ['app.diag.test'],
      selfSigned: true,
      traefikDefault: false,
      matchesName: true,
    })
    const days = (Date.parse(exact!.cert!.notAfter) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29)
    expect(days).toBeLessThanOrEqual(30)
    expect(exact!.cert!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(wild!.cert).toMatchObject({sans: ['*.wild.diag.test'], matchesName: true, traefikDefault: false})
    expect(unknown!.cert).toMatchObject({subjectCN: TRAEFIK_DEFAULT_CN, traefikDefault: true, matchesName: false})
  })

  it('returns the served chain, leaf first, without a self-signed root or a chain for Traefik’s default', async () => {
    const [acme, le, self, unknown] = (await runProbe({
      checks: [
        {id: 'acme', kind: 'tls', host: LO, port: tlsPort, servername: 'acme.diag.test'},
        {id: 'le', kind: 'tls', host: LO, port: tlsPort, servername: 'le.diag.test'},
        {id: 'self', kind: 'tls', host: LO, port: tlsPort, servername: 'app.diag.test'},
        {id: 'unknown', kind: 'tls', host: LO, port: tlsPort, servername: 'nobody.diag.test'},
      ],
    })) as TlsResult[]
    expect(acme!.cert).toMatchObject({subjectCN: 'acme.diag.test', issuerCN: 'Test Intermediate R1', issuerO: 'Test ACME CA', selfSigned: false, matchesName: true})
    expect(acme!.chain).toEqual([derBase64(issued.leaf.cert), derBase64(issued.intermediate.cert)])
    // The intermediate is kept when the root is not served (its issuer is then unknown to Node, not itself).
    expect(le!.chain).toEqual([derBase64(issued.leaf.cert), derBase64(issued.intermediate.cert)])
    // A self-signed leaf is its own chain.
    expect(self!.chain).toEqual([derBase64(app.cert)])
    expect(unknown!.chain).toBeUndefined()
    expect(JSON.stringify(acme).length).toBeLessThan(3000)
  })

  it('UDP: a STUN reply with its mapped address, silence as timeout, ICMP unreachable as refused', async () => {
    const refused = await closedPort()
    const [stun, mute, closed] = (await runProbe({
      timeoutMs: 400,
      checks: [
        {id: 'stun', kind: 'udp', host: LO, port: stunPort, payload: 'stun'},
        {id: 'mute', kind: 'udp', host: LO, port: mutePort, payload: 'dns'},
        {id: 'closed', kind: 'udp', host: LO, port: refused, payload: {hex: '00ff'}},
      ],
    })) as UdpResult[]
    expect(stun).toMatchObject({outcome: 'ok', mappedAddress: '198.51.100.20:3478'})
    expect(mute).toMatchObject({outcome: 'timeout'})
    expect(closed).toMatchObject({outcome: 'refused', error: 'ECONNREFUSED'})
  })

  it('the bundled renet runs `probe --json` on Node and answers with the JSON report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-bundle-'))
    try {
      const outfile = join(dir, 'renet.cjs')
      await build({
        entryPoints: ['src/renet/main.ts'],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node18',
        format: 'cjs',
        define: {__RENET_VERSION__: '"9.9.9-test"'},
        logLevel: 'silent',
      })
      const spec = JSON.stringify({checks: [{id: 'h', kind: 'http', url: `http://${LO}:${httpPort}/x`}, {id: 't', kind: 'tcp', host: LO, port: openPort}]})
      const {stdout} = await run(process.execPath, [outfile, 'probe', '--json', spec])
      const report = JSON.parse(stdout) as ProbeReport
      expect(report.version).toBe('9.9.9-test')
      expect(report.results.map((r) => [r.id, r.outcome])).toEqual([
        ['h', 'ok'],
        ['t', 'ok'],
      ])
      const bad = await run(process.execPath, [outfile, 'probe', '--json', '{"checks":[{"id":"x","kind":"ftp"}]}']).catch((error: {code: number; stderr: string}) => error)
      expect(bad).toMatchObject({code: 2})
      expect((bad as {stderr: string}).stderr).toContain('checks[0].kind must be tcp, http, tls or udp')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('probe spec and helpers', () => {
  it('rejects bad specs naming the key', () => {
    const cases: Array<[string, string]> = [
      ['nope', 'spec is not JSON'],
      ['[]', 'spec must be an object'],
      ['{"checks":{}}', 'checks must be an array'],
      ['{"timeoutMs":0,"checks":[]}', 'timeoutMs must be 1..10000'],
      ['{"checks":[{"id":"a","kind":"tcp","host":"x","port":0}]}', 'checks[0].port must be 1..65535'],
      ['{"checks":[{"id":"a","kind":"http","url":"https://x"}]}', 'checks[0].url must be an http:// URL'],
      ['{"checks":[{"id":"a","kind":"udp","host":"x","port":53,"payload":"zz"}]}', 'checks[0].payload'],
      ['{"checks":[{"id":"a","kind":"tcp","host":"x","port":1},{"id":"a","kind":"tcp","host":"x","port":2}]}', 'duplicate check id a'],
      ['{"checks":[{"kind":"tcp","host":"x","port":1}]}', 'checks[0].id must be a non-empty string'],
    ]
    for (const [text, message] of cases) {
      expect(() => parseSpec(text), text).toThrow(SpecError)
      expect(() => parseSpec(text), text).toThrow(message)
    }
    expect(parseSpec('{"timeoutMs":200,"checks":[{"id":"a","kind":"tls","host":"::1","port":443,"servername":"a.b"}]}')).toEqual({
      timeoutMs: 200,
      checks: [{id: 'a', kind: 'tls', host: '::1', port: 443, servername: 'a.b'}],
    })
  })

  it('matches SANs like a TLS client: exact or one wildcard label', () => {
    expect(sanCovers('app.example.com', 'APP.example.com')).toBe(true)
    expect(sanCovers('*.example.com', 'app.example.com')).toBe(true)
    expect(sanCovers('*.example.com', 'a.b.example.com')).toBe(false)
    expect(sanCovers('*.example.com', 'example.com')).toBe(false)
    expect(sanCovers('other.example.com', 'app.example.com')).toBe(false)
  })

  it('STUN request is a binding request with the magic cookie; a non-STUN reply has no mapped address', () => {
    const req = stunBindingRequest()
    expect(req).toHaveLength(20)
    expect(req.readUInt16BE(0)).toBe(1)
    expect(req.readUInt32BE(4)).toBe(0x21_12_a4_42)
    expect(stunMappedAddress(Buffer.from('hello'))).toBeUndefined()
  })
})
