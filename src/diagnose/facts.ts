/**
 * The facts the checks read, as plain data. Gatherers fill them (one remote script per machine, then one
 * `renet probe` for the per-route checks); tests write them by hand. Nothing here holds a secret: the
 * Cloudflare token is only "present or not".
 */
import type {HttpResult, ProbeResult, TlsResult} from '../renet/probe/types.js'
import type {ContainerState} from './parse/docker.js'
import type {Protocol, RouteView} from './parse/router.js'

export interface InfraView {
  publicIPv4?: string
  publicIPv6?: string
  baseDomain?: string
  certEmail?: string
  hasCfDnsToken: boolean
  tcpPorts?: number[]
  udpPorts?: number[]
  /** The ACME directory Traefik uses; unset = Let's Encrypt production. Served chains are verified against it. */
  acmeCaServer?: string
  /** PEM of a private ACME CA's roots (public certificates, not a secret). */
  acmeCaCertificates?: string
}

export interface LocalFacts {
  machine: string
  hasHostKey: boolean
  infra: InfraView
  /** This machine's repositories from the context (names for network ids in fixes). */
  repositories?: Array<{name: string; networkId: number}>
  /** --host and --repo as asked. */
  askedHost?: string
  askedRepo?: {name: string; networkId: number}
}

export type SshOutcome = 'ok' | 'host-key-mismatch' | 'unpinned' | 'auth-failed' | 'unreachable' | 'timeout'

export interface SshFacts {
  /** user@host:port */
  target: string
  outcome: SshOutcome
  durationMs: number
  message?: string
  /** SHA256 fingerprints, for a mismatch. */
  pinned?: string
  presented?: string
}

export interface ExecFact {
  code: number
  stdout: string
  stderr: string
}

/** Everything read from one machine in the first round trip (see gather/script.ts for where each comes from). */
export interface ServerFacts {
  cliVersion: string
  /** `renet version` */
  renetVersion: ExecFact
  /** `systemctl is-active rediacc-router` */
  routerUnit: ExecFact
  /** `ss -Hltnup` */
  sockets: ExecFact
  /** GET 127.0.0.1:7111/health and /routes.json */
  health: HttpResult
  routes: HttpResult
  /** Docker API GET /containers/rediacc-proxy/json on /var/run/docker.sock */
  proxy: HttpResult
  /** Traefik's internal entry point 127.0.0.1:8082: /ping, /api/entrypoints, /api/{http,tcp,udp}/routers */
  traefikPing: HttpResult
  traefikEntryPoints: HttpResult
  traefikRouters: Record<Protocol, HttpResult>
  /** GET /version of each repository daemon /var/run/rediacc/docker-<id>.sock */
  daemons: Array<{socket: string; version: HttpResult}>
  /**
   * The proxy's ACME error lines of the last 24 h (`docker logs`, filtered and cut on the server), ending with
   * `docker logs`' exit code (see parse/acme.ts). Absent when not gathered.
   */
  proxyLog?: ExecFact
}

export type RecordSet = {addresses: string[]} | {error: string}

export interface DnsAnswer {
  name: string
  /** 'system' or the resolver's ip:port */
  resolver: string
  a: RecordSet
  aaaa: RecordSet
}

/** What the walk of one route reads beyond the route itself (second round trip + local DNS). */
export interface RouteFacts {
  route: RouteView
  /** One per backend probed: a tcp connect, or udp for UDP routes where a payload gets an answer. */
  backends: Array<{backend: string; result: ProbeResult}>
  /** One per public address the name is served on. */
  tls: TlsResult[]
  /** Per hostname of the route. */
  dns: DnsAnswer[]
  /** The route's container (its compose service label; a STUN/TURN relay's cached address). */
  container?: ContainerState
}
