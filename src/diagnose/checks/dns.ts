import type {DnsAnswer, InfraView, RecordSet} from '../facts.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {sameIp} from '../ip.js'

/** Answers that mean "no records of this type" rather than "the lookup failed". */
const EMPTY = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN'])

function addresses(set: RecordSet): string[] | undefined {
  if ('addresses' in set) return set.addresses
  return EMPTY.has(set.error) ? [] : undefined
}

/** Which record to create: the name itself, or (for names under the base domain) the wildcard covers it too. */
function recordName(name: string, baseDomain: string | undefined): string {
  if (baseDomain && name.endsWith(`.${baseDomain}`) && name.split('.').length === baseDomain.split('.').length + 1) {
    return `${name} (or the wildcard *.${baseDomain})`
  }
  return name
}

function familyProblems(
  kind: 'A' | 'AAAA',
  got: string[],
  want: string | undefined,
  where: string,
  setFlag: string,
): {status: 'fail' | 'warn'; detail: string; fix: string} | undefined {
  if (want === undefined) {
    if (got.length === 0) return undefined
    return {
      status: 'fail',
      detail: `${kind} → ${got.join(', ')}, but the machine has no ${kind === 'A' ? 'IPv4' : 'IPv6'} entry point: those clients cannot connect`,
      fix: `remove the ${kind} record of ${where}, or set ${setFlag} ${got[0]} and push-infra`,
    }
  }
  if (got.length === 0) {
    return kind === 'A'
      ? {status: 'fail', detail: `no A record (the machine serves IPv4 on ${want})`, fix: `create ${where} A ${want}`}
      : {status: 'warn', detail: `no AAAA record (the machine serves IPv6 on ${want}): IPv6 clients fall back to IPv4`, fix: `create ${where} AAAA ${want}`}
  }
  const ours = got.filter((g) => sameIp(g, want))
  const others = got.filter((g) => !sameIp(g, want))
  if (ours.length === 0) return {status: 'fail', detail: `${kind} → ${got.join(', ')}, not this machine (${want})`, fix: `point ${where} ${kind} to ${want}`}
  if (others.length > 0) {
    return {status: 'warn', detail: `${kind} → ${got.join(', ')}: also points elsewhere, so some clients miss this machine`, fix: `remove ${others.join(', ')} from ${where} ${kind}`}
  }
  return undefined
}

/**
 * Does `name` resolve to this machine's public addresses, per family? The answer is what counts, whether it
 * comes from an explicit record or a wildcard (`wildcard` is the answer for a random sibling name: when it is the
 * same, the fix is to the wildcard record).
 */
export function checkDns(answer: DnsAnswer, infra: InfraView, wildcard?: DnsAnswer): Finding {
  const base = {subject: answer.name}
  const via = answer.resolver === 'system' ? '' : ` via ${answer.resolver}`
  const a = addresses(answer.a)
  const aaaa = addresses(answer.aaaa)
  if (a === undefined || aaaa === undefined) {
    const error = a === undefined ? (answer.a as {error: string}).error : (answer.aaaa as {error: string}).error
    return warn('dns', `could not resolve ${answer.name}${via}: ${error}`, `check the resolver${via ? ` ${answer.resolver}` : ''} (e.g. dig ${answer.name}${answer.resolver === 'system' ? '' : ` @${answer.resolver.replace(/:\d+$/, '')}`})`, base)
  }
  const nx = 'error' in answer.a && answer.a.error === 'ENOTFOUND' && 'error' in answer.aaaa && answer.aaaa.error === 'ENOTFOUND'
  const where = recordName(answer.name, infra.baseDomain)
  const fromWildcard =
    wildcard !== undefined && 'addresses' in wildcard.a && 'addresses' in answer.a && wildcard.a.addresses.length > 0 &&
    wildcard.a.addresses.join() === answer.a.addresses.join()
  const parent = answer.name.slice(answer.name.indexOf('.') + 1)
  const target = fromWildcard ? `*.${parent}` : where
  if (nx) {
    const records = [infra.publicIPv4 && `A ${infra.publicIPv4}`, infra.publicIPv6 && `AAAA ${infra.publicIPv6}`].filter(Boolean).join(' and ')
    return fail('dns', `${answer.name} does not exist in DNS${via} (NXDOMAIN)`, `create ${where} ${records}`, base)
  }
  const problems = [
    familyProblems('A', a, infra.publicIPv4, target, '--public-ipv4'),
    familyProblems('AAAA', aaaa, infra.publicIPv6, target, '--public-ipv6'),
  ].filter((p) => p !== undefined)
  const worst = problems.find((p) => p.status === 'fail') ?? problems[0]
  if (worst) {
    const detail = problems.map((p) => p.detail).join('; ') + (fromWildcard ? ` (answered by the wildcard *.${parent})` : '') + via
    const fix = problems.map((p) => p.fix).join('; ')
    return worst.status === 'fail' ? fail('dns', detail, fix, base) : warn('dns', detail, fix, base)
  }
  const shown = [...a, ...aaaa].join(', ')
  return ok('dns', `resolves to ${shown}${fromWildcard ? ` (wildcard *.${parent})` : ''}${via}`, base)
}
