import {UsageError} from '../../errors.js'
import type {Secret} from '../../config/secret.js'
import {validateEnvKey, validateEnvValue} from '../../config/validate.js'
import {
  ACME_CA_IN_CONTAINER,
  ACME_CA_PATH,
  ACME_STORAGE_PATH,
  MANAGED_HEADER,
  PROXY_COMPOSE_PATH,
  PROXY_CONTAINER,
  PROXY_ENV_PATH,
  TRAEFIK_CONFIG_IN_CONTAINER,
} from '../../layout/server.js'
import type {RenderedFile} from './rendered-file.js'
import {TRAEFIK_VERSION} from '../traefik-version.js'

/** Pinned so a push never pulls a surprise major change; `infra.proxyImage` overrides it per machine. */
export const DEFAULT_PROXY_IMAGE = `traefik:v${TRAEFIK_VERSION}`

export interface ProxyInput {
  proxyImage?: string
  cfDnsApiToken?: Secret
  /** PEM text: rendered as acme-ca.pem and mounted where traefik.yml's caCertificates points. */
  acmeCaCertificates?: string
  /** Extra variables for config.env, after the token. Values may be secrets: never part of a message. */
  proxyEnv?: Readonly<Record<string, string>>
}

/** YAML double-quoted scalar (JSON strings are valid YAML), so an image reference can never break the file. */
function quoted(value: string): string {
  return JSON.stringify(value)
}

export function renderProxyCompose(input: ProxyInput): string {
  const image = input.proxyImage ?? DEFAULT_PROXY_IMAGE
  // No `version:` key: compose v2 warns about it and docker-compose 1.27+ reads the spec without it.
  return [
    `# ${MANAGED_HEADER}`,
    'services:',
    '  traefik:',
    `    image: ${quoted(image)}`,
    `    container_name: ${PROXY_CONTAINER}`,
    '    # Host networking: entry points bind the public addresses directly and reach the route server and the',
    '    # services on 127.x loopback addresses.',
    '    network_mode: host',
    '    restart: unless-stopped',
    '    env_file: config.env',
    `    command: [${quoted(`--configFile=${TRAEFIK_CONFIG_IN_CONTAINER}`)}]`,
    '    volumes:',
    `      - ${quoted(`./traefik.yml:${TRAEFIK_CONFIG_IN_CONTAINER}:ro`)}`,
    `      - ${quoted('./letsencrypt:/letsencrypt')}`,
    ...(input.acmeCaCertificates ? [`      - ${quoted(`./acme-ca.pem:${ACME_CA_IN_CONTAINER}:ro`)}`] : []),
    '',
  ].join('\n')
}

export function renderProxyEnv(input: ProxyInput): string {
  const lines = [`# ${MANAGED_HEADER}`, '# Secrets for the rediacc-proxy container only (mode 0600).']
  if (input.cfDnsApiToken) {
    const token = input.cfDnsApiToken.reveal()
    // An env file has no quoting: a line break would end the value and start a new variable.
    if (/[\r\n]/.test(token) || token.trim() !== token || token === '') {
      throw new UsageError('The Cloudflare DNS API token contains whitespace or a line break.', {
        field: 'cfDnsApiToken',
        suggestion: 'Set it again without surrounding spaces: rdc context set-infra <machine> --cf-dns-token <token>',
      })
    }

    lines.push(`CF_DNS_API_TOKEN=${token}`)
  }

  // Checked again here (the file was checked when read): a bad line would hand the proxy a different environment.
  const env = input.proxyEnv ?? {}
  for (const key of Object.keys(env).sort()) lines.push(`${validateEnvKey(key, 'proxyEnv')}=${validateEnvValue(key, env[key], 'proxyEnv')}`)
  return `${lines.join('\n')}\n`
}

export function renderProxyFiles(input: ProxyInput, traefikYaml: string, traefikPath: string): RenderedFile[] {
  return [
    {path: traefikPath, content: traefikYaml, mode: 0o644, role: 'proxy'},
    {path: PROXY_COMPOSE_PATH, content: renderProxyCompose(input), mode: 0o644, role: 'proxy'},
    {path: PROXY_ENV_PATH, content: renderProxyEnv(input), mode: 0o600, role: 'proxy', secret: true},
    // Certificates are public; Traefik reads the file as any user.
    ...(input.acmeCaCertificates ? [{path: ACME_CA_PATH, content: input.acmeCaCertificates, mode: 0o644, role: 'proxy' as const}] : []),
    // Traefik refuses an acme.json looser than 0600 and fills it itself; ours only has to exist.
    {path: ACME_STORAGE_PATH, content: '', mode: 0o600, role: 'proxy', createOnly: true},
  ]
}
