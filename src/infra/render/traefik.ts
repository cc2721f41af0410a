import {stringify} from 'yaml'

import {UsageError} from '../../errors.js'
import {type EntryPoint, type EntryPointInput, entryPointsFor, INTERNAL_ENTRY_POINT, ROUTER_PORT, TRAEFIK_INTERNAL_PORT} from '../../net/entrypoints.js'
import {ACME_DNS_RESOLVERS} from '../acme-defaults.js'
import {ACME_CA_IN_CONTAINER, ACME_STORAGE_IN_CONTAINER, MANAGED_HEADER} from '../../layout/server.js'

export {ACME_DNS_RESOLVERS} from '../acme-defaults.js'

export const CERT_RESOLVER = 'letsencrypt'
/** Traefik's own name for the entry point its internal API and ping attach to (see apiAndPing below). */
export const ROUTER_PROVIDER_URL = `http://127.0.0.1:${ROUTER_PORT}/traefik`
export interface TraefikInput extends EntryPointInput {
  certEmail?: string
  /** ACME directory URL; absent: Traefik's default (Let's Encrypt production), so no caServer key is rendered. */
  acmeCaServer?: string
  /** When set, Traefik trusts these CA certificates (mounted at ACME_CA_IN_CONTAINER) for the ACME server. */
  acmeCaCertificates?: string
  /** host:port resolvers for lego's propagation check; absent: ACME_DNS_RESOLVERS. */
  dnsResolvers?: readonly string[]
}

/** The public entry points, or a UsageError when no address family is configured (HTTPS would bind nothing). */
export function publicEntryPoints(input: EntryPointInput): EntryPoint[] {
  if (!input.publicIPv4 && !input.publicIPv6) {
    throw new UsageError('Neither publicIPv4 nor publicIPv6 is set: the proxy would have no HTTPS entry point.', {
      field: 'publicIPv4',
      suggestion: 'Set at least one: rdc context set-infra <machine> --public-ipv4 203.0.113.50 (and/or --public-ipv6 2001:db8::1)',
    })
  }

  return entryPointsFor(input)
}

type EntryPointConfig = Record<string, unknown>

/**
 * The HTTPS entry point an HTTP one redirects to: the one of the same address family, so a request that came in
 * over IPv6 stays on the IPv6 listener (`web` → websecure, `web-v6` → websecure-v6, and on an IPv6-only machine
 * `web` → websecure-v6, the guide's IPv6 HTTPS name).
 */
function httpsTargetFor(ep: EntryPoint): string {
  return ep.family === 'ipv6' ? 'websecure-v6' : 'websecure'
}

/**
 * Every entry point that can carry HTTP drops request headers whose names alias another's (X_Forwarded_For for
 * X-Forwarded-For): a CGI/PHP-style backend reads those as the header Traefik sets, so a client could spoof
 * X-Forwarded-* or X-Real-Ip. Traefik 3.7 keeps them unless told otherwise (and warns on every entry point).
 */
const ALIAS_HEADERS = {aliasHeadersStrategy: 'delete'} as const

function entryPointConfig(ep: EntryPoint): EntryPointConfig {
  switch (ep.kind) {
    case 'http': {
      return {address: ep.address, http: {...ALIAS_HEADERS, redirections: {entryPoint: {to: httpsTargetFor(ep), scheme: 'https', permanent: true}}}}
    }

    case 'https': {
      // asDefault: a router that names no entry point lands on HTTPS only, not on every TCP port and :80.
      // The resolver on the entry point gives every HTTPS router a certificate without per-router TLS labels.
      return {address: ep.address, asDefault: true, http: {...ALIAS_HEADERS, tls: {certResolver: CERT_RESOLVER}}}
    }

    case 'udp': {
      return {address: ep.address}
    }

    default: {
      // A TCP entry point serves HTTP too when an HTTP router names it.
      return {address: ep.address, http: {...ALIAS_HEADERS}}
    }
  }
}

/** traefik.yml as an object (the shape Traefik's static configuration has). */
export function traefikConfig(input: TraefikInput): Record<string, unknown> {
  const eps = publicEntryPoints(input)
  const entryPoints: Record<string, EntryPointConfig> = {
    // The API and ping live on Traefik's internal entry point, bound to loopback so only the server (and
    // `rdc diagnose` over SSH) can read them.
    [INTERNAL_ENTRY_POINT]: {address: `127.0.0.1:${TRAEFIK_INTERNAL_PORT}`, http: {...ALIAS_HEADERS}},
  }
  for (const ep of eps) entryPoints[ep.name] = entryPointConfig(ep)

  return {
    global: {checkNewVersion: false, sendAnonymousUsage: false},
    log: {level: 'INFO', format: 'json'},
    // api.insecure is Traefik v3's only static-configuration way to serve the API: it attaches the api@internal
    // router to the entry point named `traefik` and nowhere else. The secure alternative (a router to
    // api@internal) needs a dynamic provider, and ours is the route server, so the API would vanish exactly
    // when diagnose needs it (route server down). Binding `traefik` to 127.0.0.1 keeps it private instead.
    api: {insecure: true, dashboard: false},
    ping: {entryPoint: INTERNAL_ENTRY_POINT},
    entryPoints,
    providers: {http: {endpoint: ROUTER_PROVIDER_URL, pollInterval: '5s'}},
    certificatesResolvers: {
      [CERT_RESOLVER]: {
        acme: {
          ...(input.certEmail ? {email: input.certEmail} : {}),
          ...(input.acmeCaServer ? {caServer: input.acmeCaServer} : {}),
          storage: ACME_STORAGE_IN_CONTAINER,
          // For the ACME client only, and instead of the system roots (caSystemCertPool stays false): a private CA's
          // certificates, so Traefik trusts that ACME server and no other.
          ...(input.acmeCaCertificates ? {caCertificates: [ACME_CA_IN_CONTAINER]} : {}),
          // The token comes from CF_DNS_API_TOKEN in config.env, never from this file.
          dnsChallenge: {
            provider: 'cloudflare',
            resolvers: [...(input.dnsResolvers?.length ? input.dnsResolvers : ACME_DNS_RESOLVERS)],
            propagation: {delayBeforeChecks: '10s'},
          },
        },
      },
    },
  }
}

export function renderTraefikYaml(input: TraefikInput): string {
  // Every string double-quoted: `:80` and `[2001:db8::1]:443` are legal plain YAML for some parsers and not
  // others; quoted, Go's YAML decoder and ours read the same value.
  return `# ${MANAGED_HEADER}\n${stringify(traefikConfig(input), {lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN'})}`
}

/** Entry point names the route server may route to: all of traefik.yml's except the internal one. */
export function routableEntryPointNames(input: EntryPointInput): string[] {
  return publicEntryPoints(input).map((e) => e.name)
}
