/**
 * The ACME lab: a real ACME server (Pebble) whose DNS-01 checks read a mock DNS (challtestsrv), a Cloudflare API
 * stand-in that writes the records lego creates into that mock DNS, and a DNS front that answers lego's zone and
 * propagation checks. What a Traefik with `dnsChallenge.provider: cloudflare` needs to get a certificate without
 * the internet. See README.md in this folder.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {isIP} from 'node:net'
import {join} from 'node:path'

import {startChallTestSrv, type ChallTestSrv} from './challtestsrv.js'
import {cfCreateRecord, cfDeleteRecord, type CfRecord} from './cloudflare-client.js'
import {startCloudflareDnsStandin, zoneIdFor, type CloudflareDnsStandin, type DnsStandinCall, type DnsStandinRecord} from './cloudflare-standin.js'
import {startDnsFront, type DnsFront, type FrontQuery} from './dns-front.js'
import {canonicalName} from './dns-wire.js'
import {freePort} from './free-port.js'
import {startPebble, type Pebble} from './pebble.js'

export type {DnsStandinCall, DnsStandinRecord} from './cloudflare-standin.js'
export type {FrontQuery} from './dns-front.js'
export type {CfRecord} from './cloudflare-client.js'

export interface AcmeLabOptions {
  /** IP addresses of this machine the clients reach it at (test hosts: the veth ends; local tests: 127.0.0.x). */
  addresses: string[]
  /** Zone apexes the Cloudflare stand-in and the DNS front serve, e.g. ['example.com']. */
  zones: string[]
  /** The API token the stand-in accepts (Bearer). */
  token: string
  /** Port of the DNS front on every address: 53 (the default) for test hosts; 0 picks a free one. */
  dnsPort?: number
  /** Scratch folder (certificates, Pebble's config); a temporary one, removed at stop(), when not given. */
  dir?: string
}

export interface AcmeLab {
  addresses: string[]
  zones: string[]
  /** Pebble's ACME directory as seen from `address` (default: the first): Traefik's acme.caServer. */
  directoryUrl(address?: string): string
  /** CLOUDFLARE_BASE_URL for a client at `address`: http://addr:port/client/v4. */
  cloudflareBaseUrl(address?: string): string
  /** "addr:port" of the DNS front: Traefik's dnsChallenge.resolvers entry (port 53 for a resolv.conf). */
  resolver(address?: string): string
  /** Environment for Traefik: CF_DNS_API_TOKEN (the lab's token unless `token` given) and CLOUDFLARE_BASE_URL. */
  traefikEnv(address?: string, token?: string): {CF_DNS_API_TOKEN: string; CLOUDFLARE_BASE_URL: string}
  /** CA of Pebble's listener certificate: what Traefik trusts via acme.caCertificates. */
  listenerCaPem: string
  /** The same, as a file on this machine. */
  listenerCaFile: string
  /** Root of the certificates Pebble issues (random per lab): verify issued chains against it. */
  pebbleRootPem(): string
  pebbleIntermediatePem(): string
  /** Zone id the stand-in gives `zone`. */
  zoneId(zone: string): string
  /** Every Cloudflare API call so far (never the token). */
  calls(): DnsStandinCall[]
  /** Records the stand-in holds now. */
  records(): DnsStandinRecord[]
  /**
   * Creates a record through the stand-in's API, as any Cloudflare client would (so it is logged in calls() and
   * answered by the DNS front and challtestsrv): e.g. A/AAAA for app.example.com. `token` defaults to the lab's.
   */
  createRecord(zone: string, record: {type: 'TXT' | 'A' | 'AAAA'; name: string; content: string; ttl?: number}, token?: string): Promise<CfRecord>
  deleteRecord(zone: string, recordId: string, token?: string): Promise<void>
  /** Every query the DNS front answered or relayed. */
  dnsQueries(): FrontQuery[]
  /** challtestsrv's own addresses (127.0.0.1), e.g. to query what Pebble sees. */
  challtestsrv: {dns: string; management: string}
  /** Pids of the child processes (for tests that check none is left behind). */
  pids(): {pebble: number; challtestsrv: number}
  /** Pebble's and challtestsrv's output so far, for failure messages. */
  output(): {pebble: string; challtestsrv: string}
  stop(): Promise<void>
}

export async function startAcmeLab(options: AcmeLabOptions): Promise<AcmeLab> {
  const addresses = [...new Set(options.addresses)]
  if (addresses.length === 0) throw new Error('startAcmeLab needs at least one address')
  for (const a of addresses) if (isIP(a) === 0) throw new Error(`startAcmeLab: "${a}" is not an IP address`)
  if (options.zones.length === 0) throw new Error('startAcmeLab needs at least one zone')
  if (options.token === '') throw new Error('startAcmeLab needs a token')
  const zones = options.zones.map(canonicalName)
  const ownDir = options.dir === undefined
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'rdc-acme-lab-'))

  const stops: Array<() => Promise<void>> = []
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    const errors: unknown[] = []
    for (const s of stops.reverse()) await s().catch((e: unknown) => errors.push(e))
    if (ownDir) rmSync(dir, {recursive: true, force: true})
    if (errors.length > 0) throw new AggregateError(errors, 'the ACME lab did not stop cleanly')
  }

  try {
    const chall: ChallTestSrv = await startChallTestSrv()
    stops.push(() => chall.stop())
    const pebble: Pebble = await startPebble({addresses, dnsServer: chall.dnsAddress, dir: join(dir, 'pebble')})
    stops.push(() => pebble.stop())
    const cloudflare: CloudflareDnsStandin = await startCloudflareDnsStandin({
      addresses,
      port: await freePort(addresses),
      zones,
      token: options.token,
      sink: chall,
    })
    stops.push(() => cloudflare.stop())
    const dnsPort = options.dnsPort === 0 ? await freePort(addresses, {udp: true}) : (options.dnsPort ?? 53)
    const front: DnsFront = await startDnsFront({addresses, port: dnsPort, zones, upstream: chall.dnsAddress})
    stops.push(() => front.stop())

    const at = (address: string | undefined): string => {
      const a = address ?? addresses[0]
      if (!addresses.includes(a)) throw new Error(`the ACME lab does not listen on ${a} (it listens on ${addresses.join(', ')})`)
      return a
    }
    return {
      addresses,
      zones,
      directoryUrl: (address) => pebble.directoryUrl(at(address)),
      cloudflareBaseUrl: (address) => cloudflare.baseUrl(at(address)),
      resolver: (address) => front.resolver(at(address)),
      traefikEnv: (address, token) => ({CF_DNS_API_TOKEN: token ?? options.token, CLOUDFLARE_BASE_URL: cloudflare.baseUrl(at(address))}),
      listenerCaPem: pebble.listenerCaPem,
      listenerCaFile: pebble.listenerCaFile,
      pebbleRootPem: () => pebble.rootPem,
      pebbleIntermediatePem: () => pebble.intermediatePem,
      zoneId: zoneIdFor,
      calls: () => cloudflare.calls(),
      records: () => cloudflare.records(),
      createRecord: (zone, record, token) => cfCreateRecord(cloudflare.baseUrl(addresses[0]), token ?? options.token, zoneIdFor(zone), record),
      deleteRecord: (zone, recordId, token) => cfDeleteRecord(cloudflare.baseUrl(addresses[0]), token ?? options.token, zoneIdFor(zone), recordId),
      dnsQueries: () => front.queries(),
      challtestsrv: {dns: chall.dnsAddress, management: chall.managementUrl},
      pids: () => ({pebble: pebble.process.pid, challtestsrv: chall.process.pid}),
      output: () => ({pebble: pebble.process.output(), challtestsrv: chall.process.output()}),
      stop,
    }
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
}
