import {z} from 'zod'

/**
 * The context file's shape (version 1). Validation of *values* (is this really a public IPv4?) lives in
 * src/config/validate.ts so the same rules serve flags and the file; this schema checks structure and types.
 */

export const CONFIG_VERSION = 1

export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

const port = z.number().int().min(1).max(65_535)

export const infraSchema = z
  .object({
    publicIPv4: z.string().optional(),
    publicIPv6: z.string().optional(),
    baseDomain: z.string().optional(),
    certEmail: z.string().optional(),
    /** Secret: masked in every output. May instead come from RDC_CF_DNS_TOKEN at push time. */
    cfDnsApiToken: z.string().optional(),
    tcpPorts: z.array(port).optional(),
    udpPorts: z.array(port).optional(),
    /** Traefik image for the rediacc-proxy container (default pinned in src/infra). */
    proxyImage: z.string().optional(),
    /** ACME directory URL (https); absent means Let's Encrypt production, Traefik's default. */
    acmeCaServer: z.string().optional(),
    /** PEM text of the CA certificate(s) Traefik trusts when talking to a private ACME server (step-ca, Pebble). */
    acmeCaCertificates: z.string().optional(),
    /** Resolvers (host:port) for lego's DNS-01 propagation check; absent means ACME_DNS_RESOLVERS (src/infra). */
    dnsResolvers: z.array(z.string()).optional(),
    /** Extra environment for the proxy container (config.env). Values of keys naming a TOKEN, KEY, SECRET or PASSWORD are secrets. */
    proxyEnv: z.record(z.string(), z.string()).optional(),
  })
  .strict()

export const machineSchema = z
  .object({
    host: z.string().min(1),
    user: z.string().min(1),
    port: port.default(22),
    /** Path to a private key; when absent, ssh-agent and ~/.ssh/config IdentityFile are tried. */
    privateKeyPath: z.string().optional(),
    /** Pinned host key, OpenSSH public key format: "ssh-ed25519 AAAA…". */
    hostKey: z.string().optional(),
    datastore: z.string().optional(),
    infra: infraSchema.default({}),
  })
  .strict()

export const repositorySchema = z
  .object({
    machine: z.string(),
    networkId: z.number().int(),
    path: z.string().optional(),
    /** Image-backed repository size, e.g. "2G". */
    size: z.string().optional(),
  })
  .strict()

export const contextSchema = z
  .object({
    ssh: z
      .object({
        privateKeyPath: z.string().optional(),
      })
      .strict()
      .default({}),
    machines: z.record(z.string(), machineSchema).default({}),
    repositories: z.record(z.string(), repositorySchema).default({}),
  })
  .strict()

export const configSchema = z
  .object({
    version: z.literal(CONFIG_VERSION),
    current: z.string().optional(),
    contexts: z.record(z.string(), contextSchema).default({}),
  })
  .strict()

export type InfraSettings = z.infer<typeof infraSchema>
export type Machine = z.infer<typeof machineSchema>
export type Repository = z.infer<typeof repositorySchema>
export type Context = z.infer<typeof contextSchema>
export type RdcConfig = z.infer<typeof configSchema>
