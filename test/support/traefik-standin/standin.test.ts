import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {createServer as createNetServer, type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTraefikEntryPoints, parseTraefikRouters} from '../../../src/diagnose/parse/traefik.js'
import {runProbe} from '../../../src/renet/probe/run.js'
import type {HttpResult, TlsResult} from '../../../src/renet/probe/types.js'
import {acmeJson, caSignedCert, selfSignedCert} from '../certs.js'
import {until as waitUntil} from '../wait.js'
import {buildTraefikStandin} from './build.js'

/** The stand-in answers on loopback within moments: poll briefly. */
const until = (check: () => Promise<boolean>, what: string) => waitUntil(check, what, {timeoutMs: 5000, intervalMs: 50})

const LO = '127.0.0.1'

async function freePort(): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((r) => s.listen(0, LO, () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

describe('the Traefik stand-in used by diagnose integration tests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-standin-'))
  let child: ChildProcess
  let provider: Server
  let providerStatus = 200
  let providerBody = ''
  let ports: {internal: number; websecure: number; tcp: number; udp: number}

  const fetch = async (path: string): Promise<HttpResult> =>
    (await runProbe({checks: [{id: path, kind: 'http', url: `http://${LO}:${ports.internal}${path}`}]}))[0] as HttpResult

  beforeAll(async () => {
    ports = {internal: await freePort(), websecure: await freePort(), tcp: await freePort(), udp: await freePort()}
    provider = createServer((_req, res) => {
      res.writeHead(providerStatus)
      res.end(providerBody)
    })
    await new Promise<void>((r) => provider.listen(0, LO, () => r()))
    providerBody = [
      'http:',
      '  routers:',
      '    shop-web:',
      '      rule: "Host(`app.example.com`)"',
      '      entryPoints: [websecure]',
      '      service: shop-web',
      'tcp:',
      '  routers:',
      '    shop-db:',
      '      rule: "HostSNI(`*`)"',
      '      entryPoints: [tcp-5432]',
      '      service: shop-db',
    ].join('\n')
    const traefikYml = [
      'entryPoints:',
      `  traefik: {address: "${LO}:${ports.internal}"}`,
      `  websecure: {address: "${LO}:${ports.websecure}", http: {tls: {certResolver: letsencrypt}}}`,
      `  tcp-5432: {address: "${LO}:${ports.tcp}"}`,
      `  udp-53: {address: "${LO}:${ports.udp}/udp"}`,
      'ping: {entryPoint: traefik}',
      'api: {insecure: true, dashboard: false}',
      `providers: {http: {endpoint: "http://${LO}:${(provider.address() as AddressInfo).port}/traefik", pollInterval: 5s}}`,
      `certificatesResolvers: {letsencrypt: {acme: {email: a@example.com, storage: "${join(dir, 'acme.json')}"}}}`,
    ].join('\n')
    writeFileSync(join(dir, 'traefik.yml'), traefikYml)
    mkdirSync(join(dir, 'certs'))
    const cert = selfSignedCert({cn: 'TRAEFIK DEFAULT CERT'})
    writeFileSync(join(dir, 'certs', 'default.key'), cert.key)
    writeFileSync(join(dir, 'certs', 'default.crt'), cert.cert)
    writeFileSync(join(dir, 'standin.cjs'), await buildTraefikStandin(dir))
    child = spawn(process.execPath, [join(dir, 'standin.cjs'), `--configFile=${join(dir, 'traefik.yml')}`, `--certDir=${join(dir, 'certs')}`, '--pollMs=100'], {stdio: 'ignore'})
    await until(async () => (await fetch('/ping')).status === 200, 'the stand-in ping')
  })

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await new Promise((r) => provider?.close(r))
    rmSync(dir, {recursive: true, force: true})
  })

  it('answers ping and lists its entry points like Traefik’s API', async () => {
    expect((await fetch('/ping')).body).toBe('OK')
    expect(parseTraefikEntryPoints((await fetch('/api/entrypoints')).body!)).toEqual([
      {name: 'traefik', address: `${LO}:${ports.internal}`},
      {name: 'websecure', address: `${LO}:${ports.websecure}`},
      {name: 'tcp-5432', address: `${LO}:${ports.tcp}`},
      {name: 'udp-53', address: `${LO}:${ports.udp}/udp`},
    ])
  })

  it('loads routers from the HTTP provider and keeps them when the provider answers non-200', async () => {
    await until(async () => parseTraefikRouters('tcp', (await fetch('/api/tcp/routers')).body!).length === 1, 'the first poll')
    expect(parseTraefikRouters('http', (await fetch('/api/http/routers')).body!).map((r) => [r.name, r.provider, r.entryPoints, r.status])).toEqual([
      ['shop-web', 'http', ['websecure'], 'enabled'],
      ['ping', 'internal', ['traefik'], 'enabled'],
    ])
    providerStatus = 503
    await new Promise((r) => setTimeout(r, 300))
    expect(parseTraefikRouters('tcp', (await fetch('/api/tcp/routers')).body!).map((r) => r.name)).toEqual(['shop-db'])
    providerStatus = 200
    providerBody = 'http:\n  routers: {}\n'
    await until(async () => parseTraefikRouters('tcp', (await fetch('/api/tcp/routers')).body!).length === 0, 'the emptied configuration')
  })

  it('listens on every entry point; HTTPS serves Traefik’s default certificate', async () => {
    const results = await runProbe({
      timeoutMs: 500,
      checks: [
        {id: 'tls', kind: 'tls', host: LO, port: ports.websecure, servername: 'app.example.com'},
        {id: 'tcp', kind: 'tcp', host: LO, port: ports.tcp},
        {id: 'udp', kind: 'udp', host: LO, port: ports.udp, payload: 'dns'},
      ],
    })
    expect((results[0] as TlsResult).cert).toMatchObject({subjectCN: 'TRAEFIK DEFAULT CERT', traefikDefault: true})
    expect(results[1]!.outcome).toBe('ok')
    // The UDP socket is bound (no ICMP refusal); it answers nothing, as Traefik with no UDP router.
    expect(results[2]!.outcome).toBe('timeout')
  })

  it('serves a certificate from acme.json for its names once it is written there, the default one for others', async () => {
    const probeTls = async (servername: string): Promise<TlsResult> =>
      (await runProbe({timeoutMs: 1000, checks: [{id: servername, kind: 'tls', host: LO, port: ports.websecure, servername}]}))[0] as TlsResult
    writeFileSync(join(dir, 'acme.json'), '')
    expect((await probeTls('shop.example.com')).cert).toMatchObject({traefikDefault: true})
    writeFileSync(join(dir, 'acme.json'), acmeJson([{names: ['shop.example.com'], cert: caSignedCert({names: ['shop.example.com'], issuerO: 'Test ACME CA', issuerCN: 'T1'})}]))
    expect((await probeTls('shop.example.com')).cert).toMatchObject({subjectCN: 'shop.example.com', issuerO: 'Test ACME CA', issuerCN: 'T1', selfSigned: false, traefikDefault: false, matchesName: true})
    expect((await probeTls('other.example.com')).cert).toMatchObject({subjectCN: 'TRAEFIK DEFAULT CERT'})
  })
})
