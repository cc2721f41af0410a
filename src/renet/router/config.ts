/**
 * Route server settings: /etc/rediacc/router.yaml (rendered by `rdc context push-infra`), overridden by flags so
 * the router can run by hand and in tests without root. Pure apart from reading the file.
 */
import {existsSync, readFileSync} from 'node:fs'
import {isIP} from 'node:net'

import {ConfigError, UsageError} from '../../errors.js'
import {ROUTER_ADDRESS, ROUTER_CONFIG_PATH, ROUTER_STATE_DIR, SOCKET_DIR} from '../../layout/server.js'
import {DYNAMIC_TCP_RANGE, ROUTER_PORT, entryPointsFor} from '../../net/entrypoints.js'

export interface PortRange {
  from: number
  to: number
}

export interface RouterSettings {
  machine: string | null
  /** Without it there are no automatic (tier 1) routes. */
  baseDomain: string | null
  listen: {host: string; port: number}
  socketDir: string
  stateDir: string
  certResolver: string
  /** Entry point names that exist in traefik.yml; routers naming others are refused. */
  entrypoints: string[]
  /**
   * Where the entry point names come from: `--entrypoints`, the `traefikConfig` file (read by the service and
   * followed while it runs), router.yaml's `entrypoints`, or the defaults of a machine with every standard port.
   */
  entrypointsSource: 'flag' | 'traefik.yml' | 'router.yaml' | 'default'
  /** Traefik's static configuration file, when router.yaml names one (`traefikConfig`). */
  traefikConfig: string | null
  dynamicPorts: {tcp: PortRange | null; udp: PortRange | null}
  /** Full resync of every daemon, covering missed events. */
  resyncMs: number
  /** How long a dynamic port stays reserved after its last container is gone. */
  portGraceMs: number
  /** How often the socket folder is rescanned (fs.watch also triggers a rescan). */
  rescanMs: number
}

/** The flags `renet router` accepts; every one overrides the file. */
export interface RouterFlags {
  config?: string
  socketDir?: string
  listen?: string
  stateDir?: string
  baseDomain?: string
  entrypoints?: string
  machine?: string
  resyncInterval?: string
  portGrace?: string
}

function defaultEntrypoints(): string[] {
  return entryPointsFor({publicIPv4: '0.0.0.0'})
    .filter((e) => e.kind !== 'internal')
    .map((e) => e.name)
}

export function parseListen(value: string, field: string): {host: string; port: number} {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim())
  const host = m?.[1] ?? m?.[2]
  const port = Number(m?.[3])
  if (!m || host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`${field}: '${value}' is not HOST:PORT`, {field, suggestion: `Use e.g. ${ROUTER_ADDRESS}`})
  }

  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
  if (!loopback) {
    throw new UsageError(`${field}: the route server only listens on loopback, not '${host}'`, {
      field,
      suggestion: 'Traefik reaches it on 127.0.0.1; use 127.0.0.1:PORT',
    })
  }

  return {host, port}
}

function parseRange(value: unknown, field: string): PortRange | null {
  if (value === undefined || value === null) return null
  const r = value as {from?: unknown; to?: unknown}
  const from = Number(r.from)
  const to = Number(r.to)
  if (typeof value !== 'object' || !Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > 65_535 || from > to) {
    throw new ConfigError(`${field}: expected {from, to} with 1 ≤ from ≤ to ≤ 65535`, {
      suggestion: 'Re-render the file with `rdc context push-infra`',
    })
  }

  return {from, to}
}

function positiveNumber(value: string, field: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${field}: '${value}' is not a positive number`, {field})
  return n
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

type FileShape = Record<string, unknown>

async function readFile(path: string): Promise<FileShape> {
  const {parse} = await import('yaml')
  let parsed: unknown
  try {
    parsed = parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ConfigError(`${path}: ${error instanceof Error ? error.message : String(error)}`, {
      suggestion: 'Re-render it with `rdc context push-infra`',
      cause: error,
    })
  }

  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${path}: expected a mapping at the top`)
  const file = parsed as FileShape
  if (file.version !== undefined && file.version !== 1) {
    throw new ConfigError(`${path}: version ${String(file.version)} is not supported by this renet`, {
      suggestion: 'Update renet with `rdc context push-infra` so CLI and route server match',
    })
  }

  return file
}

function str(file: FileShape, key: string, path: string): string | undefined {
  const v = file[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`${path}: ${key} must be a non-empty string`)
  return v.trim()
}

/** Reads the settings file (when present) and applies the flags on top. */
export async function loadSettings(flags: RouterFlags): Promise<RouterSettings> {
  const path = flags.config ?? ROUTER_CONFIG_PATH
  if (flags.config !== undefined && !existsSync(flags.config)) {
    throw new UsageError(`--config: ${flags.config} does not exist`, {field: 'config', suggestion: 'Check the path, or leave --config out'})
  }

  const file = existsSync(path) ? await readFile(path) : {}
  let entrypoints = defaultEntrypoints()
  let entrypointsSource: RouterSettings['entrypointsSource'] = 'default'
  const traefikConfig = str(file, 'traefikConfig', path) ?? null
  if (file.entrypoints !== undefined) {
    if (!Array.isArray(file.entrypoints) || file.entrypoints.some((e) => typeof e !== 'string')) {
      throw new ConfigError(`${path}: entrypoints must be a list of names`)
    }

    entrypoints = file.entrypoints as string[]
    entrypointsSource = 'router.yaml'
  }

  // The service reads the names from traefik.yml (and follows the file); until it has, none are known.
  if (traefikConfig !== null) {
    entrypoints = []
    entrypointsSource = 'traefik.yml'
  }

  const dyn = (file.dynamicPorts ?? {}) as {tcp?: unknown; udp?: unknown}
  const settings: RouterSettings = {
    machine: str(file, 'machine', path) ?? null,
    baseDomain: str(file, 'baseDomain', path) ?? null,
    listen: parseListen(str(file, 'listen', path) ?? `127.0.0.1:${ROUTER_PORT}`, 'listen'),
    socketDir: str(file, 'socketDir', path) ?? SOCKET_DIR,
    stateDir: str(file, 'stateDir', path) ?? ROUTER_STATE_DIR,
    certResolver: str(file, 'certResolver', path) ?? 'letsencrypt',
    entrypoints,
    entrypointsSource,
    traefikConfig,
    dynamicPorts: {
      tcp: file.dynamicPorts === undefined ? {...DYNAMIC_TCP_RANGE} : parseRange(dyn.tcp, 'dynamicPorts.tcp'),
      udp: parseRange(dyn.udp, 'dynamicPorts.udp'),
    },
    resyncMs: 30_000,
    portGraceMs: 10 * 60_000,
    rescanMs: 2000,
  }

  if (flags.machine !== undefined) settings.machine = flags.machine
  if (flags.baseDomain !== undefined) settings.baseDomain = flags.baseDomain.trim() === '' ? null : flags.baseDomain.trim()
  if (flags.listen !== undefined) settings.listen = parseListen(flags.listen, 'listen')
  if (flags.socketDir !== undefined) settings.socketDir = flags.socketDir
  if (flags.stateDir !== undefined) settings.stateDir = flags.stateDir
  if (flags.entrypoints !== undefined) {
    settings.entrypoints = splitList(flags.entrypoints)
    settings.entrypointsSource = 'flag'
  }

  if (flags.resyncInterval !== undefined) settings.resyncMs = positiveNumber(flags.resyncInterval, 'resync-interval') * 1000
  if (flags.portGrace !== undefined) settings.portGraceMs = positiveNumber(flags.portGrace, 'port-grace') * 1000
  if (settings.baseDomain !== null && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(settings.baseDomain)) {
    throw new ConfigError(`baseDomain '${settings.baseDomain}' is not a domain name`)
  }

  return settings
}

/** The HTTPS entry points automatic routes use: whichever of websecure / websecure-v6 exist. */
export function httpsEntrypoints(settings: Pick<RouterSettings, 'entrypoints'>): string[] {
  return ['websecure', 'websecure-v6'].filter((n) => settings.entrypoints.includes(n))
}
