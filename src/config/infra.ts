import {readFile} from 'node:fs/promises'

import {UsageError} from '../errors.js'
import {entryPointsFor, type EntryPoint} from '../net/entrypoints.js'
import {getMachine} from './resolve.js'
import type {InfraSettings, Machine} from './schema.js'
import {MASK, Secret} from './secret.js'
import type {ConfigStore} from './store.js'
import {parseCertificate} from './x509.js'
import {
  isSecretEnvKey,
  LETS_ENCRYPT_STAGING,
  parseProxyEnvFlags,
  type ProxyEnvChanges,
  validateAcmeCaServer,
  validateBaseDomain,
  validateCaCertificates,
  validateDnsResolvers,
  validateEmail,
  validateImageRef,
  validatePorts,
  validateProxyEnv,
  validatePublicIPv4,
  validatePublicIPv6,
  validateToken,
} from './validate.js'

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
  'acme-ca-server': 'acmeCaServer',
  'acme-ca-cert': 'acmeCaCertificates',
  'dns-resolvers': 'dnsResolvers',
  'proxy-env': 'proxyEnv',
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
  acmeCaServer?: string
  /** --acme-staging: Let's Encrypt's staging directory as acmeCaServer. */
  acmeStaging?: boolean
  /** --acme-ca-cert: the file's path (for messages) and its text, read by readCaCertificateFile. */
  acmeCaCert?: {path: string; text: string}
  dnsResolvers?: string
  /** --proxy-env KEY=VALUE, repeated; KEY= removes KEY. */
  proxyEnv?: string[]
  unset?: InfraField[]
  allowPrivate?: boolean
}

/**
 * Validated changes: values to set, fields to clear, and proxy environment entries to add or remove (merged
 * with the stored ones). Computed before the file is touched.
 */
export interface InfraChanges {
  set: Partial<InfraSettings>
  unset: InfraField[]
  proxyEnv?: ProxyEnvChanges
}

/** Reads --acme-ca-cert's file; a file that cannot be read is bad input naming the flag. */
export async function readCaCertificateFile(path: string, field = '--acme-ca-cert'): Promise<{path: string; text: string}> {
  try {
    return {path, text: await readFile(path, 'utf8')}
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message
    throw new UsageError(`${field}: cannot read "${path}": ${why}.`, {field, suggestion: `Give the path of the CA's PEM certificate file, e.g. ${field} ./root_ca.crt`})
  }
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
  if (input.acmeStaging && input.acmeCaServer !== undefined) {
    throw new UsageError('--acme-staging and --acme-ca-server were both given.', {
      field: '--acme-staging',
      suggestion: `Give one of them: --acme-staging is --acme-ca-server ${LETS_ENCRYPT_STAGING}.`,
    })
  }
  if (input.acmeCaServer !== undefined) set.acmeCaServer = validateAcmeCaServer(input.acmeCaServer)
  if (input.acmeStaging) set.acmeCaServer = LETS_ENCRYPT_STAGING
  if (input.acmeCaCert !== undefined) set.acmeCaCertificates = validateCaCertificates(input.acmeCaCert.text, '--acme-ca-cert', input.acmeCaCert.path)
  if (input.dnsResolvers !== undefined) set.dnsResolvers = validateDnsResolvers(input.dnsResolvers)
  const proxyEnv = input.proxyEnv?.length ? parseProxyEnvFlags(input.proxyEnv) : undefined
  const unset = [...new Set(input.unset ?? [])]
  for (const field of unset) {
    if (set[INFRA_FIELDS[field]] !== undefined || (field === 'proxy-env' && proxyEnv)) {
      const flag = field === 'acme-ca-server' && input.acmeStaging ? '--acme-staging' : `--${field}`
      throw new UsageError(`--unset ${field} and ${flag} were both given.`, {field: flag, suggestion: 'Give one of them.'})
    }
  }
  if (Object.keys(set).length === 0 && unset.length === 0 && !proxyEnv) {
    throw new UsageError(
      'Nothing to change. Usage: rdc context set-infra <machine> [--public-ipv4 IP] [--public-ipv6 IP] [--base-domain NAME] [--cert-email ADDRESS] [--cf-dns-token -] [--tcp-ports LIST] [--udp-ports LIST] [--proxy-image IMAGE] [--acme-ca-server URL | --acme-staging] [--acme-ca-cert FILE] [--dns-resolvers LIST] [--proxy-env KEY=VALUE] [--unset FIELD]',
      {suggestion: 'For example: rdc context set-infra server-1 --base-domain example.com --cert-email admin@example.com'},
    )
  }
  return {set, unset, ...(proxyEnv ? {proxyEnv} : {})}
}

/** One CA certificate as show-infra describes it. */
export interface CaCertificateSummary {
  subject: string
  notAfter: string
  sha256: string
}

function caSummaries(pem: string): CaCertificateSummary[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((block) => {
    const cert = parseCertificate(block)
    return {subject: cert.subject.replaceAll('\n', ', '), notAfter: new Date(cert.validTo).toISOString(), sha256: cert.fingerprint256}
  })
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
  acmeCaServer?: string
  /** The stored PEM text (certificates are public). */
  acmeCaCertificates?: string
  /** What acmeCaCertificates holds, certificate by certificate. */
  acmeCaCertificateList?: CaCertificateSummary[]
  dnsResolvers?: string[]
  /** Values whose key names a TOKEN, KEY, SECRET or PASSWORD are ***. */
  proxyEnv?: Record<string, string>
}

export function infraView(machine: Machine): InfraView {
  const {cfDnsApiToken, tcpPorts, udpPorts, proxyEnv, acmeCaCertificates, ...rest} = machine.infra
  const source = process.env[TOKEN_ENV] ? 'env' : cfDnsApiToken ? 'file' : undefined
  return {
    ...rest,
    ...(source ? {cfDnsApiToken: MASK, cfDnsApiTokenSource: source} : {}),
    tcpPorts: tcpPorts ?? [],
    udpPorts: udpPorts ?? [],
    ...(acmeCaCertificates === undefined ? {} : {acmeCaCertificates, acmeCaCertificateList: caSummaries(acmeCaCertificates)}),
    ...(proxyEnv === undefined ? {} : {proxyEnv: maskedEnv(proxyEnv)}),
  }
}

/** The proxy environment with every secret value (by its key's name) replaced by ***. */
export function maskedEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, isSecretEnvKey(key) ? MASK : value]))
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
      if (field === 'proxy-env' && opts.changes.proxyEnv) {
        const env = mergeEnv(machine.infra.proxyEnv, opts.changes.proxyEnv)
        if (JSON.stringify(env) !== JSON.stringify(machine.infra.proxyEnv)) changed.push(field)
        if (env) infra[key] = env
        else delete infra[key]
      } else if (opts.changes.set[key] !== undefined) {
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

/** The stored environment with the changes applied, keys sorted; undefined when nothing is left. */
function mergeEnv(current: Readonly<Record<string, string>> | undefined, changes: ProxyEnvChanges): Record<string, string> | undefined {
  const env: Record<string, string> = {...current, ...changes.set}
  for (const key of changes.remove) delete env[key]
  return Object.keys(env).length === 0 ? undefined : validateProxyEnv(env)
}
