import type {Secret} from '../../config/secret.js'
import {ROUTER_CONFIG_PATH, TRAEFIK_CONFIG_PATH} from '../../layout/server.js'
import {renderProgram} from './program.js'
import {renderProxyFiles} from './proxy.js'
import type {RenderedSet} from './rendered-file.js'
import {renderRouterConfig} from './router-config.js'
import {renderTraefikYaml} from './traefik.js'
import {renderUnitFiles} from './units.js'

/** Everything push-infra needs to know about one machine, already resolved (secrets as Secret). */
export interface MachineInfraInput {
  machineName: string
  publicIPv4?: string
  publicIPv6?: string
  baseDomain?: string
  certEmail?: string
  cfDnsApiToken?: Secret
  tcpPorts?: readonly number[]
  udpPorts?: readonly number[]
  proxyImage?: string
  acmeCaServer?: string
  acmeCaCertificates?: string
  dnsResolvers?: readonly string[]
  proxyEnv?: Readonly<Record<string, string>>
  renetBundle: Buffer
  renetVersion: string
}

/** Every file and link of a machine's infrastructure, in a stable order (proxy, router, units, program). */
export function renderMachineInfra(input: MachineInfraInput): RenderedSet {
  const traefikYaml = renderTraefikYaml(input)
  const program = renderProgram(input)
  return {
    files: [
      ...renderProxyFiles(input, traefikYaml, TRAEFIK_CONFIG_PATH),
      {path: ROUTER_CONFIG_PATH, content: renderRouterConfig(input), mode: 0o644, role: 'router'},
      ...renderUnitFiles(),
      ...program.files,
    ],
    links: program.links,
  }
}
