/**
 * Pure renderers for what renet compose writes beside the compose file: the override that puts every service on
 * the host network with its rediacc.* labels, and — only when needed — a cleaned copy of a compose file without
 * `ports:` and `networks:`. The copy exists because docker-compose 1.x merges those lists across `-f` files, so
 * an override can add to them but never remove them, and the daemon refuses them with host networking.
 */
import {basename, dirname, join} from 'node:path'
import {stringify} from 'yaml'

import {serviceIpVar} from '../../net/network.js'
import type {ComposeFile} from './compose-file.js'
import type {DeclaredPorts} from './ports.js'
import {COMPOSE_MAX_ALIAS_COUNT} from './yaml-limits.js'

export const OVERRIDE_FILE = '.rediacc-compose.override.yml'
export const CLEAN_COPY_PREFIX = '.rediacc-compose.'

/** Keys that contradict host networking; they are dropped with a warning. */
export const DROPPED_KEYS = ['ports', 'networks'] as const

export interface OverrideService {
  name: string
  ip: string
  networkId: number
  ports: DeclaredPorts
  /** Docker socket mounts pointed at the repository's own daemon (see docker-socket.ts). */
  volumes?: string[]
}

export function serviceLabels(service: OverrideService): Record<string, string> {
  const labels: Record<string, string> = {
    'rediacc.service_name': service.name,
    'rediacc.service_ip': service.ip,
    'rediacc.network_id': String(service.networkId),
  }
  if (service.ports.tcp.length > 0) labels['rediacc.tcp_ports'] = service.ports.tcp.join(',')
  if (service.ports.udp.length > 0) labels['rediacc.udp_ports'] = service.ports.udp.join(',')
  return labels
}

export function renderOverride(services: readonly OverrideService[], version?: string): string {
  const doc: Record<string, unknown> = {}
  if (version !== undefined) doc.version = version
  doc.services = Object.fromEntries(
    services.map((service) => [
      service.name,
      {network_mode: 'host', labels: serviceLabels(service), ...(service.volumes?.length ? {volumes: service.volumes} : {})},
    ]),
  )
  // docker-compose 1.x reads YAML 1.1, where a plain `yes`, `on` or `0777` is no string: quote what 1.1 would misread.
  const text = stringify(doc, {lineWidth: 0, version: '1.1'})
  return `# Written by renet compose on every run; edit the compose file instead.\n${text}`
}

export function cleanCopyPath(composePath: string): string {
  return join(dirname(composePath), `${CLEAN_COPY_PREFIX}${basename(composePath)}`)
}

export interface CleanedFile {
  /** The text to use instead of the file, or null when the file has nothing to drop. */
  text: string | null
  warnings: string[]
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')
  if (typeof value === 'object' && value !== null) return Object.keys(value).join(', ')
  return String(value)
}

/** Drops `ports:` and `networks:` from every service of FILE (keeping the rest of its text) and says what went. */
export function cleanComposeFile(file: ComposeFile): CleanedFile {
  const warnings: string[] = []
  const document = file.document.clone()
  let changed = false
  for (const [name, spec] of file.services) {
    for (const key of DROPPED_KEYS) {
      if (spec[key] === undefined) continue
      const hint =
        key === 'ports'
          ? `with host networking a service listens on its own IP; bind to \${${serviceIpVar(name) ?? 'SERVICE_IP'}} instead`
          : 'every service runs on the host network'
      warnings.push(`${basename(file.path)}: service '${name}': ${key}: ${describe(spec[key])} dropped (${hint})`)
      document.deleteIn(['services', name, key])
      changed = true
    }

    const mode = spec.network_mode
    if (mode !== undefined && mode !== 'host') {
      warnings.push(`${basename(file.path)}: service '${name}': network_mode: ${String(mode)} replaced by host`)
    }
  }

  if (!changed) return {text: null, warnings}
  // A value that came in through a `<<:` merge key survives deleteIn; write such services out in full.
  const after = document.toJS({maxAliasCount: COMPOSE_MAX_ALIAS_COUNT}) as {services?: Record<string, Record<string, unknown> | null>}
  for (const [name, spec] of Object.entries(after.services ?? {})) {
    if (spec === null || DROPPED_KEYS.every((key) => spec[key] === undefined)) continue
    const plain = Object.fromEntries(Object.entries(spec).filter(([key]) => !(DROPPED_KEYS as readonly string[]).includes(key)))
    document.setIn(['services', name], document.createNode(plain))
  }

  return {text: `# Written by renet compose from ${basename(file.path)} without ports:/networks:; edit that file instead.\n${document.toString({lineWidth: 0})}`, warnings}
}
