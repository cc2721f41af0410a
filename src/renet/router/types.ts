/**
 * Shapes the route server shares with its readers. The JSON bodies of `/health`, `/routes.json` and `/ports`
 * are a contract: `rdc diagnose` and `rdc repo status` parse them, so fields are only ever added, never renamed.
 *
 * GET /health      → HealthReport      (200 when status is ok or degraded; 503 with status "starting")
 * GET /routes.json → RoutesReport
 * GET /ports       → PortsReport
 * GET /traefik     → Traefik dynamic configuration (JSON, a YAML 1.2 document); 503 until the first complete discovery
 */

import type {BootWaitStatus} from './boot-wait.js'

/** One container as the route server sees it (from the Docker API of one repository daemon). */
export interface ContainerInfo {
  id: string
  /** Container name without the leading slash. */
  name: string
  labels: Record<string, string>
  /** Unix seconds with the sub-second part; orders "who had it first" and survives router restarts. */
  created: number
  /** `starting`, `healthy`, `unhealthy` or '' when the image has no health check. */
  health: string
}

export type RefusalReason =
  | 'foreign-hostname'
  | 'foreign-backend'
  | 'foreign-reference'
  | 'unknown-entrypoint'
  | 'udp-entrypoint-taken'
  | 'network-mismatch'
  | 'ports-exhausted'
  | 'name-conflict'
  | 'global-tls'
  | 'unrestricted-rule'
  /** A Host()/HostSNI() name that cannot be a DNS name (control characters, not ASCII, …). */
  | 'invalid-hostname'
  /** A TCP router on an HTTP entry point (web, websecure) without TLS or with HostSNI(`*`). */
  | 'shared-entrypoint'

export interface Refusal {
  /** Container name. */
  container: string
  containerId: string
  /** Network id of the daemon the container runs in (its repository). */
  networkId: number
  /** Router, service or middleware concerned, as named in the labels; absent when the whole container is refused. */
  object?: string
  kind: RefusalReason
  reason: string
}

export interface SkippedContainer {
  container: string
  containerId: string
  networkId: number
  /** Why the container gives no route: no port for tier 1, a label set that cannot be decoded, unhealthy, … */
  reason: string
}

export interface DaemonStatus {
  networkId: number
  socket: string
  /** ISO time of the last successful full list, null before the first one. */
  lastSync: string | null
  /** Last error talking to the daemon, null when it answers. */
  error: string | null
  /** True when the daemon stopped answering: its last known containers are kept and still routed. */
  stale: boolean
  /** Running containers known for this daemon. */
  containers: number
}

export interface HealthReport {
  /** `starting` until the first complete discovery; `degraded` when a daemon is stale or something was refused. */
  status: 'starting' | 'ok' | 'degraded'
  version: string
  machine: string | null
  /** Whether tier-1 automatic routes are made (a base domain is configured). */
  autoRoutes: boolean
  baseDomain: string | null
  counts: {
    daemons: number
    containers: number
    routers: {http: number; tcp: number; udp: number}
    services: {http: number; tcp: number; udp: number}
    middlewares: number
    refusals: number
    skipped: number
  }
  daemons: DaemonStatus[]
  refusals: Refusal[]
  skipped: SkippedContainer[]
  /** ISO time the served configuration last changed. */
  lastChange: string | null
  /** The entry point names routers are checked against, and where they come from. */
  entrypoints: EntrypointsStatus
  /** The daemons enabled at start-up that /traefik waits for (503 meanwhile), and what /traefik has answered. */
  boot: BootWaitStatus
}

export interface EntrypointsStatus {
  /** `traefik.yml`: read from router.yaml's `traefikConfig` file and followed while the router runs. */
  source: 'flag' | 'traefik.yml' | 'router.yaml' | 'default'
  /** The traefik.yml path when that is the source. */
  file: string | null
  names: string[]
  /** Why the file could not be read last time it changed; the names are then the last good ones. */
  error: string | null
  /** ISO time the file was last read successfully (null for other sources). */
  loadedAt: string | null
}

export interface RouteEntry {
  protocol: 'http' | 'tcp' | 'udp'
  /** Router name as served to Traefik (unique across repositories). */
  router: string
  /** Router name as written in the labels (or the automatic name). */
  labelName: string
  rule: string | null
  entryPoints: string[]
  service: string
  /** Backend URLs (http) or addresses (tcp/udp). */
  backends: string[]
  networkId: number
  container: string
  /** The container's full id (`repo up` tells a recreated container from the one it replaced by it). */
  containerId?: string
  /** `auto` for tier-1 routes, `labels` for traefik.* routes. */
  source: 'auto' | 'labels'
}

export interface RoutesReport {
  routes: RouteEntry[]
}

export interface PortAllocation {
  protocol: 'tcp' | 'udp'
  port: number
  /** Entry point name the router was given, `tcp-<port>` / `udp-<port>`. */
  entryPoint: string
  networkId: number
  /** Router name as written in the labels. */
  router: string
  /** ISO time the owning container was last seen running; released after the grace period. */
  lastSeen: string
  /** True while no running container holds it (inside the grace period). */
  idle: boolean
}

export interface PortsReport {
  ranges: {tcp: {from: number; to: number} | null; udp: {from: number; to: number} | null}
  allocations: PortAllocation[]
}
