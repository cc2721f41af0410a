/**
 * One container → its piece of the dynamic configuration (a "plan"), with Traefik's Docker-provider defaults
 * applied (label-defaults.ts), backends pointed at the container's own service IP, and the isolation rules and
 * names unique per repository applied (label-isolation.ts). What needs every container at once (hostname claims,
 * dynamic ports, UDP entry points) is left to build.ts.
 */
import {type AutoPort, autoRoutePort} from './auto-port.js'
import {applyLabelDefaults, labelGroups} from './label-defaults.js'
import {isolateLabels, refuseGlobalTls} from './label-isolation.js'
import {type DecodedLabels, LabelDecodeError, LabelKeyCache, decodeTraefikLabels, traefikEnabled} from './labels.js'
import {ownsIp} from './isolation.js'
import {hasAny, type Obj, type Plan, type PlanSettings, refuse, Refused, uniqueName} from './plan-model.js'
import type {ContainerInfo} from './types.js'
import {schemaError} from './validate.js'

/** Traefik's provider.Normalize: runs of non letters/digits become '-'. */
export function normalizeName(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter((s) => s.length > 0)
    .join('-')
}

/** Traefik's getServiceName: compose `service_project`, else the container name. */
function defaultName(c: ContainerInfo): string {
  const project = c.labels['com.docker.compose.project']
  const service = c.labels['com.docker.compose.service']
  return normalizeName(project !== undefined && service !== undefined ? `${service}_${project}` : c.name)
}

/** A comma list of ports (`8080`, `80, 443`); anything that is not a port is left out. */
function portsLabel(value: string | undefined): number[] {
  if (value === undefined) return []
  const out: number[] = []
  let start = 0
  while (start <= value.length) {
    let end = value.indexOf(',', start)
    if (end < 0) end = value.length
    const text = value.slice(start, end).trim()
    const n = Number(text)
    if (text !== '' && Number.isInteger(n) && n > 0 && n < 65_536) out.push(n)
    start = end + 1
  }

  return out
}

const PLAIN_HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

function hostLabel(service: string): string {
  // Most service names are already a hostname label.
  if (PLAIN_HOST_LABEL.test(service)) return service
  return service
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** The skipped reason of a container with traefik.enable=false: not routed, on purpose. */
export const DISABLED = 'traefik.enable=false: not routed'

export function planContainer(c: ContainerInfo, networkId: number, settings: PlanSettings, keys = new LabelKeyCache()): Plan {
  const plan: Plan = {
    container: c,
    networkId,
    source: 'labels',
    routers: [],
    services: {http: {}, tcp: {}, udp: {}},
    middlewares: {http: {}, tcp: {}},
    refusals: [],
    skipped: null,
    notes: [],
  }

  let enabled: boolean
  try {
    enabled = traefikEnabled(c.labels)
  } catch (error) {
    plan.skipped = `labels cannot be decoded: ${(error as Error).message}`
    return plan
  }

  // As in Traefik, an explicit traefik.enable=false exposes nothing, not even the automatic route.
  if (!enabled && c.labels['traefik.enable'] !== undefined) {
    plan.skipped = DISABLED
    return plan
  }

  const service = c.labels['rediacc.service_name']
  const ip = c.labels['rediacc.service_ip']
  const labelNetwork = c.labels['rediacc.network_id']
  if (!enabled && service === undefined) {
    plan.skipped = 'no rediacc.* labels and no traefik.enable=true (not started by renet compose)'
    return plan
  }

  if (labelNetwork === undefined || Number(labelNetwork) !== networkId) {
    refuse(plan, 'network-mismatch', `rediacc.network_id is ${labelNetwork === undefined ? 'missing' : `'${labelNetwork}'`} but the container runs in the daemon of repository ${networkId}`)
    return plan
  }

  if (ip === undefined) {
    plan.skipped = 'no rediacc.service_ip label: start it with renet compose'
    return plan
  }

  if (!ownsIp(networkId, ip)) {
    refuse(plan, 'foreign-backend', `rediacc.service_ip ${ip} is outside repository ${networkId}'s addresses`)
    return plan
  }

  if (c.health === 'starting' || c.health === 'unhealthy') {
    plan.skipped = `health: ${c.health} (Traefik routes only healthy containers)`
    return plan
  }

  const tcpPorts = portsLabel(c.labels['rediacc.tcp_ports'])
  const servicePort = portsLabel(c.labels['rediacc.service_port'])[0] ?? tcpPorts[0]
  if (!enabled) autoPlan(plan, service!, ip, autoRoutePort(portsLabel(c.labels['rediacc.service_port'])[0], tcpPorts), settings)
  else labelPlan(plan, hostLabel(service ?? defaultName(c)), ip, servicePort, portsLabel(c.labels['rediacc.udp_ports'])[0], settings, keys)
  // Said out loud, so every container the route server saw is in /routes.json or /health (`repo up` counts on it).
  if (enabled && plan.skipped === null && plan.routers.length === 0 && plan.refusals.length === 0 && plan.notes.length === 0) {
    plan.notes.push('traefik.enable=true but the labels make no router')
  }

  // Automatic routes are made here from a fixed shape (tested against the schema); label routes are checked.
  if (plan.skipped === null && plan.source === 'labels') {
    const error = schemaError(fragment(plan))
    if (error !== null) {
      return {...plan, routers: [], services: {http: {}, tcp: {}, udp: {}}, middlewares: {http: {}, tcp: {}}, skipped: `labels make a configuration Traefik's schema rejects (${error})`}
    }
  }

  return plan
}

function autoPlan(plan: Plan, service: string, ip: string, auto: AutoPort, s: PlanSettings): void {
  const {port} = auto
  plan.source = 'auto'
  const label = hostLabel(service)
  if (s.baseDomain === null) {
    plan.skipped = 'automatic routes are off: no baseDomain in router.yaml'
    return
  }

  if (port === undefined) {
    plan.skipped = ('reason' in auto ? auto.reason : undefined) ?? 'no port for an automatic route: set rediacc.service_port or rediacc.tcp_ports'
    return
  }

  if (s.httpsEntrypoints.length === 0 || label === '') {
    plan.skipped = label === '' ? `service name '${service}' gives no hostname` : 'no websecure entry point exists for automatic routes'
    return
  }

  const name = uniqueName(label, plan.networkId)
  const host = `${name}.${s.baseDomain}`
  plan.services.http[name] = {loadBalancer: {servers: [{url: `http://${ip}:${port}`}]}}
  plan.routers.push({
    protocol: 'http',
    name,
    labelName: label,
    // One entry point list shared by every automatic router: plans and the served configuration are never changed.
    router: {rule: `Host(\`${host}\`)`, entryPoints: s.httpsEntrypoints, service: name, tls: {certResolver: s.certResolver}},
    hosts: [host],
    needsPort: false,
  })
}

/**
 * A container's traefik.* labels, in the steps of Traefik's Docker provider: decoded as Traefik decodes them
 * (labels.ts), Traefik's defaults filled in (label-defaults.ts), then our isolation rules applied and the names
 * made the repository's own (label-isolation.ts).
 */
function labelPlan(
  plan: Plan,
  autoLabel: string,
  ip: string,
  port: number | undefined,
  udpPort: number | undefined,
  s: PlanSettings,
  keys: LabelKeyCache,
): void {
  const conf = decodeLabels(plan, keys)
  if (conf === null) return
  refuseGlobalTls(plan, conf)
  const groups = labelGroups(conf)
  const defaultHost = s.baseDomain === null ? null : `${autoLabel}-${plan.networkId}.${s.baseDomain}`
  try {
    applyLabelDefaults(groups, {name: defaultName(plan.container), ip, port, udpPort, defaultHost}, s, plan.notes)
  } catch (error) {
    if (!(error instanceof Refused)) throw error
    refuse(plan, error.kind, error.message, error.object)
    return
  }

  isolateLabels(plan, groups, s)
}

/** The decoded labels, or null (the plan skipped) when Traefik could not decode them either. */
function decodeLabels(plan: Plan, keys: LabelKeyCache): DecodedLabels | null {
  try {
    return decodeTraefikLabels(plan.container.labels, keys)
  } catch (error) {
    if (!(error instanceof LabelDecodeError)) throw error
    plan.skipped = `labels cannot be decoded: ${error.message}`
    return null
  }
}

/** The plan as a stand-alone dynamic configuration (for the schema check). */
export function fragment(plan: Plan): Obj {
  const out: Obj = {}
  for (const proto of ['http', 'tcp', 'udp'] as const) {
    const routers: Obj = {}
    for (const r of plan.routers) if (r.protocol === proto) routers[r.name] = r.needsPort ? {...r.router, entryPoints: [`${proto}-0`]} : r.router
    const group: Obj = {}
    if (hasAny(routers)) group.routers = routers
    if (hasAny(plan.services[proto])) group.services = plan.services[proto]
    if (proto !== 'udp' && hasAny(plan.middlewares[proto])) group.middlewares = plan.middlewares[proto]
    if (hasAny(group)) out[proto] = group
  }

  return out
}
