/**
 * The Cloudflare token, checked before anything relies on it (set-infra --cf-dns-token, push-infra): the token is
 * active, the base domain's zone is visible to it, and it can edit DNS records there. Cloudflare has no call that
 * lists a token's permissions, so the last part is done: a TXT record `_rdc-check.<zone>`, marked in its comment,
 * is created and deleted at once (one left behind by an interrupted check is removed by the next).
 */
import {createHash} from 'node:crypto'

import type {InfraChanges} from '../config/infra.js'
import type {InfraSettings} from '../config/schema.js'
import type {Secret} from '../config/secret.js'
import {CloudflareError} from '../errors.js'
import {CloudflareApiError, CloudflareClient, type CfDnsRecord} from './cloudflare/client.js'
import {explainCloudflareError, zoneNotVisible} from './cloudflare/explain.js'
import {BASE_URL_KEY, CHECK_COMMENT, CHECK_LABEL, cloudflareApiBase, normalName, wildcardOf, zoneOf} from './names.js'

export interface TokenCheckInput {
  token: Secret
  /** The machine's base domain: its zone must be visible and editable. Without it only the token is checked. */
  baseDomain?: string
  /** Cloudflare's API (cloudflareApiBase of the machine's settings). */
  baseUrl: string
  /** For messages and fixes. */
  machine?: string
  /** Tests: the client to use. */
  client?: CloudflareClient
}

export interface TokenCheckResult {
  api: string
  /** active (user tokens; account-owned tokens cannot be verified by themselves and say "unknown"). */
  status: string
  zone?: string
  zoneId?: string
  /** What was proven, in order. */
  checked: string[]
  durationMs: number
}

const ACCOUNT_TOKEN_CODES = new Set([1000, 1001, 9109])

export async function checkCloudflareToken(i: TokenCheckInput): Promise<TokenCheckResult> {
  const started = performance.now()
  const client = i.client ?? new CloudflareClient({baseUrl: i.baseUrl, token: i.token, maxRetries: 3, maxRetryWaitMs: 30_000})
  const ctx = {machine: i.machine, baseUrl: client.baseUrl, offlineHint: true}
  const checked: string[] = []

  // /user/tokens/verify answers only for user-owned tokens; an account-owned token is refused there but works
  // everywhere else, so only a definite "disabled"/"expired" stops here. The zone listing proves the rest.
  let status = 'unknown'
  try {
    status = (await client.verifyToken()).status ?? 'unknown'
  } catch (error) {
    if (!(error instanceof CloudflareApiError && (error.status === 401 || error.status === 403 || error.codes().some((c) => ACCOUNT_TOKEN_CODES.has(c))))) {
      throw explainCloudflareError(error, {...ctx, doing: 'verifying the token', need: 'zone-read'})
    }
  }
  if (status !== 'active' && status !== 'unknown') {
    throw new CloudflareError(`The Cloudflare token is ${status}${i.machine ? ` (machine ${i.machine})` : ''}.`, {
      suggestion: `Roll or re-enable it at dash.cloudflare.com → My Profile → API Tokens, then store it: printf %s "$TOKEN" | rdc context set-infra ${i.machine ?? '<machine>'} --cf-dns-token -`,
    })
  }

  let zones
  try {
    zones = await client.listZones()
  } catch (error) {
    throw explainCloudflareError(error, {...ctx, doing: 'listing the zones the token can see', need: 'zone-read'})
  }
  checked.push(status === 'active' ? 'the token is active' : 'the token is accepted')
  if (!i.baseDomain) {
    checked.push(`it sees ${zones.length} zone${zones.length === 1 ? '' : 's'} (no base domain set: its zone is checked once one is)`)
    return {api: client.baseUrl, status, checked, durationMs: Math.round(performance.now() - started)}
  }

  const zoneNames = zones.map((z) => normalName(z.name))
  const zoneName = zoneOf(wildcardOf(i.baseDomain), zoneNames)
  if (zoneName === undefined) throw zoneNotVisible(normalName(i.baseDomain), zoneNames, i.machine, client.baseUrl)
  const zone = zones.find((z) => normalName(z.name) === zoneName)!
  checked.push(`the zone ${zoneName} is visible`)

  const name = `${CHECK_LABEL}.${zoneName}`
  const edit = {...ctx, need: 'dns-edit' as const, zone: zoneName}
  let leftovers: CfDnsRecord[]
  try {
    leftovers = (await client.request<CfDnsRecord[]>('GET', `/zones/${zone.id}/dns_records`, {query: {type: 'TXT', name, per_page: 100}})).result ?? []
  } catch (error) {
    throw explainCloudflareError(error, {...edit, need: 'dns-read', doing: `reading the DNS records of ${zoneName}`})
  }
  for (const old of leftovers.filter((r) => r.comment === CHECK_COMMENT)) {
    try {
      await client.deleteRecord(zone.id, old.id)
    } catch (error) {
      throw explainCloudflareError(error, {...edit, doing: `removing an earlier check's TXT record ${name}`})
    }
  }
  let created: CfDnsRecord
  try {
    created = await client.createRecord(zone.id, {type: 'TXT', name, content: `"rdc token check ${new Date().toISOString()}"`, ttl: 60, comment: CHECK_COMMENT})
  } catch (error) {
    throw explainCloudflareError(error, {...edit, doing: `creating a test TXT record ${name}`})
  }
  try {
    await client.deleteRecord(zone.id, created.id)
  } catch (error) {
    const e = explainCloudflareError(error, {...edit, doing: `deleting the test TXT record ${name}`})
    throw new CloudflareError(`${e.message} The test record ${name} is still in the zone (the next check removes it).`, {...(e.suggestion ? {suggestion: e.suggestion} : {}), cause: error})
  }
  checked.push(`it can create and delete records in ${zoneName}`)
  return {api: client.baseUrl, status, zone: zoneName, zoneId: zone.id, checked, durationMs: Math.round(performance.now() - started)}
}

/** One line for set-infra's and push-infra's output. */
export function tokenCheckLine(r: TokenCheckResult): string {
  return `Cloudflare token checked: ${r.checked.join(', ')}.`
}

/**
 * set-infra: the token as given, with the base domain and API base the machine will have once the changes are
 * stored (a --base-domain or --proxy-env CLOUDFLARE_BASE_URL given in the same command counts).
 */
export function tokenCheckInputAfter(stored: InfraSettings, changes: InfraChanges, token: Secret, machine: string): TokenCheckInput {
  const unset = new Set(changes.unset)
  const baseDomain = changes.set.baseDomain ?? (unset.has('base-domain') ? undefined : stored.baseDomain)
  let env: Record<string, string> = unset.has('proxy-env') ? {} : {...stored.proxyEnv}
  if (changes.proxyEnv) {
    env = {...env, ...changes.proxyEnv.set}
    for (const key of changes.proxyEnv.remove) delete env[key]
  }
  const baseUrl = cloudflareApiBase({proxyEnv: env[BASE_URL_KEY] ? {[BASE_URL_KEY]: env[BASE_URL_KEY]} : {}})
  return {token, baseUrl, machine, ...(baseDomain ? {baseDomain} : {})}
}

/**
 * push-infra: a check per machine about to be pushed, done once per API, token and base domain in one run (a
 * second machine with the same token and zone does not create the test record again).
 */
export function pushTokenChecker(): (machine: string, infra: InfraSettings, token: Secret) => Promise<TokenCheckResult> {
  const done = new Map<string, Promise<TokenCheckResult>>()
  return (machine, infra, token) => {
    const baseUrl = cloudflareApiBase(infra)
    const key = createHash('sha256').update(`${baseUrl}\0${token.reveal()}\0${infra.baseDomain ?? ''}`).digest('hex')
    let p = done.get(key)
    if (!p) {
      p = checkCloudflareToken({token, baseUrl, machine, ...(infra.baseDomain ? {baseDomain: infra.baseDomain} : {})})
      done.set(key, p)
    }
    return p
  }
}
