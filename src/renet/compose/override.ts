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
  /** False for a service that keeps compose's networks (no `network_mode: host` in the file). */
  hostNetwork?: boolean
  /** Its `ports:` in the override: every declared port on its service IP (publish.ts). */
  publish?: string[]
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

/** The override: host-network services get `network_mode: host`, the others their ports on their service IP. */
export function renderOverride(services: readonly OverrideService[], version?: string): string {
  const doc: Record<string, unknown> = {}
  if (version !== undefined) doc.version = version
  doc.services = Object.fromEntries(
    services.map((service) => [
      service.name,
      {
        ...(service.hostNetwork === false ? {} : {network_mode: 'host'}),
        labels: serviceLabels(service),
        ...(service.publish?.length ? {ports: service.publish} : {}),
        ...(service.volumes?.length ? {volumes: service.volumes} : {}),
      },
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

/** Whether a service runs on the host network: only when its file says `network_mode: host`. */
export function isHostNetwork(spec: Record<string, unknown>): boolean {
  return spec.network_mode === 'host'
}

/**
 * Drops what the override replaces from every service of FILE (keeping the rest of its text) and says what went:
 * `ports:` and `networks:` of a host-network service, `ports:` of one that keeps compose's networks (the override
 * publishes them again on its service IP). HOST says which services run on the host network.
 */
export function cleanComposeFile(file: ComposeFile, host: (name: string) => boolean = () => true): CleanedFile {
  const warnings: string[] = []
  const document = file.document.clone()
  const dropped = (name: string): readonly string[] => (host(name) ? DROPPED_KEYS : ['ports'])
  let changed = false
  for (const [name, spec] of file.services) {
    for (const key of dropped(name)) {
      if (spec[key] === undefined) continue
      if (host(name)) {
        const hint =
          key === 'ports'
            ? `with host networking a service listens on its own IP; bind to \${${serviceIpVar(name) ?? 'SERVICE_IP'}} instead`
            : 'the service runs on the host network'
        warnings.push(`${basename(file.path)}: service '${name}': ${key}: ${describe(spec[key])} dropped (${hint})`)
      }

      document.deleteIn(['services', name, key])
      changed = true
    }
  }

  if (!changed) return {text: null, warnings}
  // A value that came in through a `<<:` merge key survives deleteIn; write such services out in full.
  const after = document.toJS({maxAliasCount: COMPOSE_MAX_ALIAS_COUNT}) as {services?: Record<string, Record<string, unknown> | null>}
  for (const [name, spec] of Object.entries(after.services ?? {})) {
    if (spec === null || dropped(name).every((key) => spec[key] === undefined)) continue
    const plain = Object.fromEntries(Object.entries(spec).filter(([key]) => !dropped(name).includes(key)))
    document.setIn(['services', name], document.createNode(plain))
  }

  return {text: `# Written by renet compose from ${basename(file.path)} without ports:/networks:; edit that file instead.\n${document.toString({lineWidth: 0})}`, warnings}
}
