import {UsageError} from '../errors.js'
import {entryPointsFor, type EntryPoint} from '../net/entrypoints.js'
import {getMachine} from './resolve.js'
import type {InfraSettings, Machine} from './schema.js'
import {MASK, Secret} from './secret.js'
import type {ConfigStore} from './store.js'
import {validateBaseDomain, validateEmail, validateImageRef, validatePorts, validatePublicIPv4, validatePublicIPv6, validateToken} from './validate.js'

/** set-infra's field names (its flag names) and the file's keys they map to. */
export const INFRA_FIELDS = {
  'public-ipv4': 'publicIPv4',
  'public-ipv6': 'publicIPv6',
  'base-domain': 'baseDomain',
  'cert-email': 'certEmail',
  'cf-dns-token': 'cfDnsApiToken',
  'tcp-ports': 'tcpPorts',
  'udp-ports': 'udpPorts',
  'proxy-image': 'proxyImage',
} as const satisfies Record<string, keyof InfraSettings>

export type InfraField = keyof typeof INFRA_FIELDS
export const TOKEN_ENV = 'RDC_CF_DNS_TOKEN'

/** Infra settings with the token as a Secret, so nothing that handles them can print it by accident. */
export type EffectiveInfra = Omit<InfraSettings, 'cfDnsApiToken'> & {cfDnsApiToken?: Secret}

/** The settings push-infra uses: the file's, with RDC_CF_DNS_TOKEN (when set) replacing the stored token. */
export function effectiveInfra(machine: Machine): EffectiveInfra {
  const {cfDnsApiToken, ...rest} = machine.infra
  const token = process.env[TOKEN_ENV] || cfDnsApiToken
  return {...rest, ...(token ? {cfDnsApiToken: new Secret(token)} : {})}
}

/** The raw values of set-infra's flags. */
export interface InfraInput {
  publicIPv4?: string
  publicIPv6?: string
  baseDomain?: string
  certEmail?: string
  cfDnsApiToken?: Secret
  tcpPorts?: string
  udpPorts?: string
  proxyImage?: string
  unset?: InfraField[]
  allowPrivate?: boolean
}

/** Validated changes: values to set and fields to clear. Computed before the file is touched. */
export interface InfraChanges {
  set: Partial<InfraSettings>
  unset: InfraField[]
}

export function validateInfraInput(input: InfraInput): InfraChanges {
  const set: Partial<InfraSettings> = {}
  if (input.publicIPv4 !== undefined) set.publicIPv4 = validatePublicIPv4(input.publicIPv4, {allowPrivate: input.allowPrivate})
  if (input.publicIPv6 !== undefined) set.publicIPv6 = validatePublicIPv6(input.publicIPv6, {allowPrivate: input.allowPrivate})
  if (input.baseDomain !== undefined) set.baseDomain = validateBaseDomain(input.baseDomain)
  if (input.certEmail !== undefined) set.certEmail = validateEmail(input.certEmail)
  if (input.cfDnsApiToken !== undefined) set.cfDnsApiToken = validateToken(input.cfDnsApiToken.reveal())
  if (input.tcpPorts !== undefined) set.tcpPorts = validatePorts(input.tcpPorts, '--tcp-ports')
  if (input.udpPorts !== undefined) set.udpPorts = validatePorts(input.udpPorts, '--udp-ports')
  if (input.proxyImage !== undefined) set.proxyImage = validateImageRef(input.proxyImage)
  const unset = [...new Set(input.unset ?? [])]
  for (const field of unset) {
    if (set[INFRA_FIELDS[field]] !== undefined) {
      throw new UsageError(`--unset ${field} and --${field} were both given.`, {field: `--${field}`, suggestion: 'Give one of them.'})
    }
  }
  if (Object.keys(set).length === 0 && unset.length === 0) {
    throw new UsageError(
      'Nothing to change. Usage: rdc context set-infra <machine> [--public-ipv4 IP] [--public-ipv6 IP] [--base-domain NAME] [--cert-email ADDRESS] [--cf-dns-token -] [--tcp-ports LIST] [--udp-ports LIST] [--proxy-image IMAGE] [--unset FIELD]',
      {suggestion: 'For example: rdc context set-infra server-1 --base-domain example.com --cert-email admin@example.com'},
    )
  }
  return {set, unset}
}

/** What show-infra and set-infra display: the settings with the token masked, and where the token comes from. */
export interface InfraView {
  publicIPv4?: string
  publicIPv6?: string
  baseDomain?: string
  certEmail?: string
  cfDnsApiToken?: typeof MASK
  cfDnsApiTokenSource?: 'file' | 'env'
  tcpPorts: number[]
  udpPorts: number[]
  proxyImage?: string
}

export function infraView(machine: Machine): InfraView {
  const {cfDnsApiToken, tcpPorts, udpPorts, ...rest} = machine.infra
  const source = process.env[TOKEN_ENV] ? 'env' : cfDnsApiToken ? 'file' : undefined
  return {...rest, ...(source ? {cfDnsApiToken: MASK, cfDnsApiTokenSource: source} : {}), tcpPorts: tcpPorts ?? [], udpPorts: udpPorts ?? []}
}

export function entryPointsOf(machine: Machine): EntryPoint[] {
  return entryPointsFor(machine.infra)
}

/** Applies validated changes to one machine under the store's lock; only the given fields change. */
export async function setInfra(opts: {store: ConfigStore; contextName: string; machineName: string; changes: InfraChanges}): Promise<{changed: InfraField[]; infra: InfraView}> {
  return opts.store.update((config) => {
    const machine = getMachine(config, opts.contextName, opts.machineName)
    const changed: InfraField[] = []
    const infra: Record<string, unknown> = {...machine.infra}
    for (const [field, key] of Object.entries(INFRA_FIELDS) as Array<[InfraField, keyof InfraSettings]>) {
      if (opts.changes.set[key] !== undefined) {
        if (JSON.stringify(infra[key]) !== JSON.stringify(opts.changes.set[key])) changed.push(field)
        infra[key] = opts.changes.set[key]
      } else if (opts.changes.unset.includes(field) && infra[key] !== undefined) {
        delete infra[key]
        changed.push(field)
      }
    }
    machine.infra = infra as InfraSettings
    return {changed, infra: infraView(machine)}
  })
}
