/**
 * ACME defaults that commands show without loading the renderers (show-infra prints them; traefik.ts renders them).
 */

/** Public resolvers for the DNS-01 propagation check: the server's own resolver may be a split-horizon one. */
export const ACME_DNS_RESOLVERS = ['1.1.1.1:53', '1.0.0.1:53'] as const

/** What an unset `acmeCaServer` means: Traefik's own default CA. */
export const ACME_DEFAULT_CA = "Let's Encrypt production"
