import {UsageError} from '../errors.js'
import type {RdcConfig} from './schema.js'
import {
  validateAcmeCaServer,
  validateBaseDomain,
  validateCaCertificates,
  validateDnsResolvers,
  validateEmail,
  validateEnvKey,
  validateEnvValue,
  validateImageRef,
  validateName,
  validatePorts,
  validatePublicIPv4,
  validatePublicIPv6,
} from './validate.js'

export interface ValueIssue {
  path: Array<string | number>
  message: string
}

/**
 * The value rules of validate.ts applied to a structurally valid file. Addresses are checked for their family
 * only: a private address was accepted with --allow-private when it was set, and stays acceptable.
 */
export function checkValues(config: RdcConfig): ValueIssue[] {
  const issues: ValueIssue[] = []
  const check = (path: Array<string | number>, fn: () => unknown) => {
    try {
      fn()
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      issues.push({path, message: error.message.replace(/^[^:]+: /, '')})
    }
  }
  if (config.current !== undefined) check(['current'], () => validateName(config.current!, 'current', 'context name'))
  for (const [contextName, context] of Object.entries(config.contexts)) {
    check(['contexts', contextName], () => validateName(contextName, 'context', 'context name'))
    for (const [machineName, machine] of Object.entries(context.machines)) {
      const base = ['contexts', contextName, 'machines', machineName]
      check(base, () => validateName(machineName, 'machine', 'machine name'))
      const infra = machine.infra
      const at = (key: string) => [...base, 'infra', key]
      if (infra.publicIPv4 !== undefined) check(at('publicIPv4'), () => validatePublicIPv4(infra.publicIPv4!, {allowPrivate: true, field: 'publicIPv4'}))
      if (infra.publicIPv6 !== undefined) check(at('publicIPv6'), () => validatePublicIPv6(infra.publicIPv6!, {allowPrivate: true, field: 'publicIPv6'}))
      if (infra.baseDomain !== undefined) check(at('baseDomain'), () => validateBaseDomain(infra.baseDomain!, 'baseDomain'))
      if (infra.certEmail !== undefined) check(at('certEmail'), () => validateEmail(infra.certEmail!, 'certEmail'))
      if (infra.tcpPorts !== undefined) check(at('tcpPorts'), () => validatePorts(infra.tcpPorts!, 'tcpPorts'))
      if (infra.udpPorts !== undefined) check(at('udpPorts'), () => validatePorts(infra.udpPorts!, 'udpPorts'))
      if (infra.proxyImage !== undefined) check(at('proxyImage'), () => validateImageRef(infra.proxyImage!, 'proxyImage'))
      if (infra.acmeCaServer !== undefined) check(at('acmeCaServer'), () => validateAcmeCaServer(infra.acmeCaServer!, 'acmeCaServer'))
      if (infra.acmeCaCertificates !== undefined) check(at('acmeCaCertificates'), () => validateCaCertificates(infra.acmeCaCertificates!, 'acmeCaCertificates'))
      if (infra.dnsResolvers !== undefined) check(at('dnsResolvers'), () => validateDnsResolvers(infra.dnsResolvers!, 'dnsResolvers'))
      for (const [key, value] of Object.entries(infra.proxyEnv ?? {})) {
        // The path names the key, never the value: it may be a secret.
        check([...at('proxyEnv'), key], () => validateEnvValue(validateEnvKey(key, 'proxyEnv'), value, 'proxyEnv'))
      }
    }
  }
  return issues
}
