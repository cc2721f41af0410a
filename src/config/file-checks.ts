import {UsageError} from '../errors.js'
import {FIRST_NETWORK_ID, isValidNetworkId, NETWORK_ID_STEP} from '../net/network.js'
import {parseOpenSshKey} from '../remote/ssh-keys.js'
import type {RdcConfig} from './schema.js'
import {
  validateAcmeCaServer,
  validateBaseDomain,
  validateCaCertificates,
  validateDatastore,
  validateDnsResolvers,
  validateEmail,
  validateEnvKey,
  validateEnvValue,
  validateHost,
  validateImageRef,
  validateName,
  validatePorts,
  validatePublicIPv4,
  validatePublicIPv6,
  validateSize,
  validateUser,
} from './validate.js'

export interface ValueIssue {
  path: Array<string | number>
  message: string
  /** How to fix it in the file, when that is more than correcting the value. */
  suggestion?: string
}

/**
 * The value rules of validate.ts applied to a structurally valid file: every rule add-machine, set-infra and
 * repo create enforce holds for a file edited by hand too. Infra addresses are checked for their family only: a
 * private address was accepted with --allow-private when it was set, and stays acceptable.
 */
export function checkValues(config: RdcConfig): ValueIssue[] {
  const issues: ValueIssue[] = []
  const check = (path: Array<string | number>, fn: () => unknown, suggestion?: string) => {
    try {
      fn()
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      issues.push({path, message: error.message.replace(/^[^:]+: /, ''), ...(suggestion ? {suggestion} : {})})
    }
  }
  if (config.current !== undefined) check(['current'], () => validateName(config.current!, 'current', 'context name'))
  for (const [contextName, context] of Object.entries(config.contexts)) {
    check(['contexts', contextName], () => validateName(contextName, 'context', 'context name'))
    for (const [machineName, machine] of Object.entries(context.machines)) {
      const base = ['contexts', contextName, 'machines', machineName]
      check(base, () => validateName(machineName, 'machine', 'machine name'))
      check([...base, 'host'], () => validateHost(machine.host, 'host'))
      check([...base, 'user'], () => validateUser(machine.user, 'user'))
      if (machine.hostKey !== undefined) {
        check([...base, 'hostKey'], () => parseOpenSshKey(machine.hostKey!, 'hostKey'), `Delete the hostKey line and pin the server's key again: rdc context scan-keys ${machineName}`)
      }
      if (machine.datastore !== undefined) check([...base, 'datastore'], () => validateDatastore(machine.datastore!, 'datastore'))
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
    checkRepositories(contextName, context, check, issues)
  }
  return issues
}

/** Names, sizes, machines and network ids of one context's repositories, as repo create allocates them. */
function checkRepositories(
  contextName: string,
  context: RdcConfig['contexts'][string],
  check: (path: Array<string | number>, fn: () => unknown, suggestion?: string) => void,
  issues: ValueIssue[],
): void {
  const owner = new Map<string, string>()
  for (const [repoName, repo] of Object.entries(context.repositories)) {
    const base = ['contexts', contextName, 'repositories', repoName]
    check(base, () => validateName(repoName, 'repository', 'repository name'))
    if (repo.size !== undefined) check([...base, 'size'], () => validateSize(repo.size!, 'size'))
    if (!context.machines[repo.machine]) {
      const known = Object.keys(context.machines)
      issues.push({
        path: [...base, 'machine'],
        message: `"${repo.machine}" is not a machine of context "${contextName}" (machines: ${known.join(', ') || 'none'}); give one of those, or add the machine first`,
      })
    }
    if (!isValidNetworkId(repo.networkId)) {
      issues.push({
        path: [...base, 'networkId'],
        message: `${repo.networkId} is not a network id; ids are ${FIRST_NETWORK_ID} + ${NETWORK_ID_STEP}·n (${FIRST_NETWORK_ID}, ${FIRST_NETWORK_ID + NETWORK_ID_STEP}, ${FIRST_NETWORK_ID + 2 * NETWORK_ID_STEP}, …), each repository its own on its machine`,
      })
      continue
    }
    const key = `${repo.machine}\u0000${repo.networkId}`
    const first = owner.get(key)
    if (first === undefined) owner.set(key, repoName)
    else {
      issues.push({
        path: [...base, 'networkId'],
        message: `${repo.networkId} is also the network id of repository "${first}" on machine "${repo.machine}" (they would share addresses); give this one a free id (${FIRST_NETWORK_ID} + ${NETWORK_ID_STEP}·n)`,
      })
    }
  }
}
