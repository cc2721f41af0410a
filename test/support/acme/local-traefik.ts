/**
 * The real Traefik binary run on this machine against an ACME lab, for the lab's own end-to-end tests: one
 * entry point on a loopback address, one router for a host name with `tls.certResolver: letsencrypt`, and the
 * `letsencrypt` resolver set up as push-infra sets it up on a server, except that it points at the lab.
 *
 * `resolvConf` runs Traefik in a mount namespace of its own where /etc/resolv.conf is bind-mounted from that
 * file (unshare --mount; needs root): what a test host's resolv.conf naming the DNS front gives, without touching
 * this machine's resolver. lego resolves the zone's NS names (for its authoritative check) through it.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {connect, type PeerCertificate} from 'node:tls'
import {join} from 'node:path'

import {stringify} from 'yaml'

import type {AcmeLab} from './lab.js'
import {startSupervised, type Supervised} from './supervised-process.js'

export interface LocalTraefik {
  process: Supervised
  /** Traefik's JSON log lines, parsed (Traefik repeats some keys, e.g. "time"; the last one wins). */
  logEntries(): Array<Record<string, unknown>>
  stop(): Promise<void>
}

export async function startLocalTraefik(options: {
  binary: string
  lab: AcmeLab
  dir: string
  /** Entry point address and port (loopback). */
  address: string
  port: number
  hostName: string
  /** CF_DNS_API_TOKEN given to Traefik; the lab's when not set. */
  token?: string
  propagation?: Record<string, unknown>
  resolvConf?: string
}): Promise<LocalTraefik> {
  const {lab, dir} = options
  mkdirSync(dir, {recursive: true})
  const caFile = join(dir, 'acme-ca.pem')
  writeFileSync(caFile, lab.listenerCaPem)
  const dynamicFile = join(dir, 'dynamic.yml')
  writeFileSync(
    dynamicFile,
    stringify({
      http: {
        routers: {app: {rule: `Host(\`${options.hostName}\`)`, entryPoints: ['websecure'], service: 'app', tls: {certResolver: 'letsencrypt'}}},
        // Never called: the tests only shake hands with Traefik to see the certificate.
        services: {app: {loadBalancer: {servers: [{url: 'http://127.0.0.1:9'}]}}},
      },
    }),
  )
  const staticFile = join(dir, 'traefik.yml')
  writeFileSync(
    staticFile,
    stringify({
      log: {level: 'INFO', format: 'json'},
      entryPoints: {websecure: {address: `${options.address}:${options.port}`}},
      providers: {file: {filename: dynamicFile}},
      certificatesResolvers: {
        letsencrypt: {
          acme: {
            email: 'admin@example.com',
            storage: join(dir, 'acme.json'),
            caServer: lab.directoryUrl(),
            // Traefik 3.7's static option: PEM files trusted for the CA server's HTTPS, beside the system roots.
            caCertificates: [caFile],
            keyType: 'EC256',
            dnsChallenge: {provider: 'cloudflare', resolvers: [lab.resolver()], ...(options.propagation ? {propagation: options.propagation} : {})},
          },
        },
      },
    }),
  )
  const env = {PATH: process.env.PATH ?? '/usr/bin:/bin', ...lab.traefikEnv(undefined, options.token)}
  const proc = options.resolvConf
    ? await startSupervised(
        'traefik',
        'unshare',
        ['--mount', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', 'sh', options.resolvConf, options.binary, `--configFile=${staticFile}`],
        {env},
      )
    : await startSupervised('traefik', options.binary, [`--configFile=${staticFile}`], {env})
  return {
    process: proc,
    logEntries: () =>
      proc.lines().flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
    stop: () => proc.stop(),
  }
}

/** The certificate chain Traefik presents for `servername` (leaf first), and whether it verifies against `ca`. */
export function tlsPeer(address: string, port: number, servername: string, ca: string): Promise<{authorized: boolean; error?: string; chain: PeerCertificate[]}> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: address, port, servername, ca, rejectUnauthorized: false}, () => {
      const chain: PeerCertificate[] = []
      let c = socket.getPeerCertificate(true) as PeerCertificate & {issuerCertificate?: PeerCertificate}
      while (c && c.raw && !chain.some((x) => x.fingerprint256 === c.fingerprint256)) {
        chain.push(c)
        c = c.issuerCertificate as typeof c
      }
      const authorizationError = socket.authorizationError as Error | string | null
      resolve({authorized: socket.authorized, error: authorizationError ? String(authorizationError) : undefined, chain})
      socket.destroy()
    })
    socket.setTimeout(5000, () => socket.destroy(new Error(`TLS to ${address}:${port} timed out`)))
    socket.on('error', reject)
  })
}
