import {shellQuote} from '../../remote/step.js'
import type {HttpCheck, ProbeSpec} from '../../renet/probe/types.js'
import {DOCKER_RC_MARK} from '../parse/acme.js'
import type {Protocol} from '../parse/router.js'
import type {ServerEndpoints} from './endpoints.js'

/** Ids of the first round's HTTP fetches, as the probe reports them back. */
export const FETCH = {
  health: 'health',
  routes: 'routes',
  proxy: 'proxy',
  ping: 'ping',
  entryPoints: 'traefik-entrypoints',
  routers: (p: Protocol) => `traefik-${p}-routers`,
} as const

/** The HTTP fetches of the first round: route server, Traefik's ping and API, the proxy container. */
export function firstRoundSpec(e: ServerEndpoints): ProbeSpec {
  const checks: HttpCheck[] = [
    {id: FETCH.health, kind: 'http', url: `${e.router}/health`},
    {id: FETCH.routes, kind: 'http', url: `${e.router}/routes.json`, maxBody: 4 * 1024 * 1024},
    {id: FETCH.proxy, kind: 'http', url: `http://docker/containers/${e.proxyContainer}/json`, socketPath: e.dockerSocket},
    {id: FETCH.ping, kind: 'http', url: `${e.traefik}/ping`},
    {id: FETCH.entryPoints, kind: 'http', url: `${e.traefik}/api/entrypoints`},
    ...(['http', 'tcp', 'udp'] as const).map((p): HttpCheck => ({id: FETCH.routers(p), kind: 'http', url: `${e.traefik}/api/${p}/routers?per_page=1000`, maxBody: 4 * 1024 * 1024})),
  ]
  return {timeoutMs: 1500, checks}
}

export const SECTION_MARK = '@@rdc-diagnose'

/** Lines of the proxy's log kept, and characters per line: the ACME errors of a day stay well under 1 MB. */
export const PROXY_LOG_LINES = 200
export const PROXY_LOG_LINE_CHARS = 4096
export const PROXY_LOG_SINCE = '24h'

/**
 * A shell function printing the proxy's ACME error lines of the last day: JSON lines with an "error" field
 * that speak of acme, certificates or resolvers (Traefik's startup dump of its configuration has no "error"),
 * the newest PROXY_LOG_LINES, each cut to PROXY_LOG_LINE_CHARS; then `docker logs`' own exit code, so an empty
 * answer can be told from an unreadable log.
 */
export function proxyLogFunction(e: ServerEndpoints): string {
  const docker = `$SUDO timeout 5 docker -H ${shellQuote(`unix://${e.dockerSocket}`)} logs --since ${PROXY_LOG_SINCE} ${shellQuote(e.proxyContainer)}`
  return (
    `proxy_log() { { ${docker} 2>&1; echo "${DOCKER_RC_MARK} $?"; } | ` +
    `grep -a -E '"error":"|^${DOCKER_RC_MARK} ' | grep -a -i -E 'acme|certificat|resolver|^${DOCKER_RC_MARK} ' | ` +
    `tail -n ${PROXY_LOG_LINES + 1} | cut -c1-${PROXY_LOG_LINE_CHARS}; }`
  )
}

/**
 * The first round trip as one shell script (run with `bash -s`, script on stdin): each command's output framed
 * by markers with its exit code, so one exec returns every fact. The route server and Traefik are read through
 * the installed `renet probe`, whose report carries renet's version (one Node start, not two); only when that
 * fails (renet missing, or too old to have `probe`) does the script ask `renet version`. The gatherer uses the
 * probe's results when its version is this CLI's, and otherwise runs the same probe from the CLI's own bundle.
 */
export function firstRoundScript(e: ServerEndpoints): string {
  const spec = shellQuote(JSON.stringify(firstRoundSpec(e)))
  return `set -u
export LC_ALL=C PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
SUDO=""
if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
section() { name=$1; shift; printf '\\n${SECTION_MARK} begin %s\\n' "$name"; "$@" 2>&1; rc=$?; printf '\\n${SECTION_MARK} end %s %s\\n' "$name" "$rc"; }
section router-unit systemctl is-active rediacc-router
section ss $SUDO ss -Hltnup
${proxyLogFunction(e)}
section proxy-log proxy_log
section daemon-sockets sh -c 'for s in ${shellQuote(e.daemonSocketDir)}/docker-*.sock; do [ -S "$s" ] && echo "$s"; done; true'
if command -v renet >/dev/null 2>&1; then
  section probe $SUDO renet probe --json ${spec}
  [ "$rc" = 0 ] || section renet-version renet version
else
  section renet-version renet version
fi
`
}

export interface Section {
  name: string
  code: number
  output: string
}

/** Splits the script's stdout back into its sections. A section cut off (no end mark) gets code -1. */
export function parseSections(stdout: string): Map<string, Section> {
  const sections = new Map<string, Section>()
  const re = new RegExp(`\\n?${SECTION_MARK} begin (\\S+)\\n([\\s\\S]*?)(?:\\n${SECTION_MARK} end \\1 (\\d+)\\n|$)`, 'g')
  for (const m of stdout.matchAll(re)) {
    sections.set(m[1]!, {name: m[1]!, output: m[2]!, code: m[3] === undefined ? -1 : Number(m[3])})
  }
  return sections
}
