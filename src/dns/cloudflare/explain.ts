/**
 * Cloudflare's answers in plain words, each with the fix: which permission the token lacks on which zone, a token
 * Cloudflare does not accept, a zone the token cannot see, the rate limit, an API that cannot be reached.
 */
import {CloudflareError, RdcError} from '../../errors.js'
import {CLOUDFLARE_API, CloudflareApiError, CloudflareUnreachableError, cfErrorText} from './client.js'

/** What the call needed: the permission a 403 then names. */
export type Need = 'zone-read' | 'dns-read' | 'dns-edit'

export interface ExplainContext {
  /** What rdc was doing, as a clause: "listing the zones", "creating A app.example.com". */
  doing: string
  need: Need
  zone?: string
  machine?: string
  baseUrl?: string
  /** The command has --no-token-check (set-infra, push-infra): say so for an unreachable API. */
  offlineHint?: boolean
}

/** Codes Cloudflare answers for a token it does not accept at all (wrong, expired, revoked, malformed). */
const TOKEN_REFUSED = new Set([1000, 1001, 6003, 6111, 9103, 9106, 9109])

/** How to make a token that works, for `zone` (or the base domain's zone). */
export function tokenFix(zone: string | undefined, machine: string | undefined): string {
  return (
    `Create or edit the token at dash.cloudflare.com → My Profile → API Tokens with the permissions Zone › Zone › Read and Zone › DNS › Edit ` +
    `and Zone Resources including ${zone ?? 'the zone of the base domain'}; then store it: printf %s "$TOKEN" | rdc context set-infra ${machine ?? '<machine>'} --cf-dns-token -`
  )
}

const PERMISSION: Record<Need, string> = {
  'zone-read': 'Zone:Zone:Read',
  'dns-read': 'Zone:DNS:Edit (or at least Zone:DNS:Read)',
  'dns-edit': 'Zone:DNS:Edit',
}

/** Any error from a Cloudflare call as the RdcError to show (RdcErrors pass through). */
export function explainCloudflareError(error: unknown, c: ExplainContext): RdcError {
  if (error instanceof RdcError) return error
  const where = c.zone ? ` on ${c.zone}` : ''
  if (error instanceof CloudflareUnreachableError) {
    const custom = (c.baseUrl ?? error.baseUrl) !== CLOUDFLARE_API
    return new CloudflareError(`Cannot reach Cloudflare's API at ${error.baseUrl} while ${c.doing}: ${error.reason}.`, {
      suggestion:
        `Check this machine's network${custom ? ' and CLOUDFLARE_BASE_URL in the machine’s proxy environment (rdc context show-infra)' : ''}` +
        `${c.offlineHint ? '; for offline work, run with --no-token-check' : ''}.`,
      cause: error,
    })
  }
  if (!(error instanceof CloudflareApiError)) {
    return new CloudflareError(`Talking to Cloudflare failed while ${c.doing}: ${(error as Error)?.message ?? String(error)}.`, {cause: error})
  }
  const codes = error.codes()
  const said = `${error.status}${error.errors.length ? ` (${cfErrorText(error.errors)})` : ''}`
  if (error.status === 429) {
    return new CloudflareError(`Cloudflare's rate limit held after retries while ${c.doing}: it answered 429 Too Many Requests (about 1200 API requests per 5 minutes are allowed per user).`, {
      suggestion: 'Wait a few minutes (other tools using the same account count too) and run it again.',
      cause: error,
    })
  }
  if (error.status === 401 || codes.some((code) => TOKEN_REFUSED.has(code))) {
    return new CloudflareError(`Cloudflare refused the token while ${c.doing}: it answered ${said}. The token is wrong, expired or revoked.`, {
      suggestion: tokenFix(c.zone, c.machine),
      cause: error,
    })
  }
  if (error.status === 403) {
    return new CloudflareError(`The token lacks ${PERMISSION[c.need]}${where}: Cloudflare answered ${said} when ${c.doing}.`, {suggestion: tokenFix(c.zone, c.machine), cause: error})
  }
  if (error.status === 404 && (codes.includes(7003) || codes.includes(7000))) {
    return new CloudflareError(`The zone${c.zone ? ` ${c.zone}` : ''} is not visible to the token any more: Cloudflare answered ${said} when ${c.doing}.`, {
      suggestion: tokenFix(c.zone, c.machine),
      cause: error,
    })
  }
  if (error.status === 404 && codes.includes(81044)) {
    return new CloudflareError(`A record changed at Cloudflare while rdc worked on it (${said} when ${c.doing}): someone else edited the zone meanwhile.`, {
      suggestion: 'Run it again: rdc reads the records afresh.',
      cause: error,
    })
  }
  if (error.status >= 500) {
    return new CloudflareError(`Cloudflare's API failed (${said}) while ${c.doing}.`, {suggestion: 'Run it again in a moment; see www.cloudflarestatus.com if it persists.', cause: error})
  }
  return new CloudflareError(`Cloudflare refused ${c.doing}: it answered ${said}.`, {
    suggestion: 'Run rdc dns plan to see the records at that name; a record of another type (CNAME) may be in the way.',
    cause: error,
  })
}

/** The base domain's zone is not among the zones the token sees. */
export function zoneNotVisible(name: string, visible: string[], machine: string | undefined, baseUrl: string): CloudflareError {
  const seen = visible.length === 0 ? 'it sees no zone at all' : `it sees only ${visible.slice(0, 5).join(', ')}${visible.length > 5 ? ', …' : ''}`
  return new CloudflareError(
    `No Cloudflare zone for ${name} is visible to the token (${seen}${baseUrl === CLOUDFLARE_API ? '' : ` at ${baseUrl}`}): the domain is not in the token's account, or the token's Zone Resources leave its zone out.`,
    {suggestion: tokenFix(undefined, machine).replace('the zone of the base domain', `the zone of ${name}`)},
  )
}
