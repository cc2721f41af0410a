/**
 * How many alias expansions a compose file may make. yaml's default (100) counts every alias times the aliases
 * inside its anchor, and real files go far past it: sentry self-hosted's 57 services use 142 aliases of anchors
 * that hold aliases themselves. docker compose has no such limit; this one stays finite only so that an alias
 * bomb (nested aliases doubling at each level) stops with an error instead of exhausting memory.
 */
export const COMPOSE_MAX_ALIAS_COUNT = 1_000_000
