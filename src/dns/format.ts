/** Human output of `rdc dns plan|apply|check` (the --json answer is the result itself). */
import {table} from '../output/format.js'
import type {Action, PlannedRecord} from './plan.js'
import type {DnsApplyResult, DnsPlanResult} from './service.js'

const SIGN: Record<Action, string> = {create: '+', update: '~', delete: '-', keep: '=', conflict: '!', stale: '?', unmanaged: '·'}

function machineLine(m: DnsPlanResult['machines'][number]): string {
  const covered = m.hosts.filter((h) => h.wildcard).length
  const own = m.hosts.length - covered
  const parts = [
    m.wildcard ? `wildcard ${m.wildcard} (automatic routes)` : 'no base domain (no wildcard)',
    `${m.routes} route${m.routes === 1 ? '' : 's'}, ${m.hosts.length} name${m.hosts.length === 1 ? '' : 's'}${m.hosts.length ? ` (${covered} answered by the wildcard, ${own} with records of their own)` : ''}`,
  ]
  return `${m.machine}: ${parts.join('; ')}${m.api === 'https://api.cloudflare.com/client/v4' ? '' : `; API ${m.api}`}`
}

function value(r: PlannedRecord): string {
  if (r.action === 'update') return `${r.current?.content}${r.current?.proxied ? ' (proxied)' : ''} → ${r.content}`
  return r.content ?? `${r.current?.content ?? ''}${r.current?.proxied ? ' (proxied)' : ''}`
}

export function formatRecords(records: readonly PlannedRecord[], options: {applied?: boolean} = {}): string {
  if (records.length === 0) return '  (no records)'
  return table(records, [
    {header: '', get: (r) => (options.applied && r.done ? `${SIGN[r.action]}✓` : SIGN[r.action])},
    {header: 'action', get: (r) => r.action},
    {header: 'type', get: (r) => r.type},
    {header: 'name', get: (r) => r.name},
    {header: 'value', get: value},
    {header: 'why', get: (r) => r.reason},
  ])
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}

export function planSummary(result: DnsPlanResult): string {
  const c = result.counts
  const parts = [
    `${c.create} to create`,
    `${c.update} to change`,
    `${c.delete} to remove`,
    `${c.keep} up to date`,
    ...(c.conflict ? [`${c.conflict} held by other records (--adopt takes them over)`] : []),
    ...(c.stale ? [`${c.stale} no longer needed (--prune removes them)`] : []),
    ...(c.unmanaged ? [`${c.unmanaged} outside the token's zones`] : []),
  ]
  return parts.join(', ')
}

export function formatPlan(result: DnsPlanResult, verb: 'Plan' | 'Check' = 'Plan'): string {
  const lines = [...result.machines.map(machineLine), `zones: ${result.zones.map((z) => `${z.zone} (${z.records} records)`).join(', ') || '-'}`, '', formatRecords(result.records), '']
  lines.push(`${verb}: ${planSummary(result)}.${result.inSync ? ' Cloudflare matches the plan.' : ''}`)
  return lines.join('\n')
}

export function formatApply(result: DnsApplyResult): string {
  const lines = [...result.machines.map(machineLine), '', formatRecords(result.records, {applied: true}), '']
  const c = result.counts
  const todo = c.create + c.update + c.delete
  lines.push(
    result.changed === todo
      ? `Applied: ${result.changed} change${result.changed === 1 ? '' : 's'} made at Cloudflare (${c.create} created, ${c.update} changed, ${c.delete} removed), ${c.keep} already up to date.`
      : `Applied ${result.changed} of ${todo} changes.`,
  )
  if (c.conflict) lines.push(`${c.conflict} record${c.conflict === 1 ? '' : 's'} held by others left alone (--adopt takes them over).`)
  if (c.stale) lines.push(`${c.stale} record${c.stale === 1 ? '' : 's'} no longer needed kept (--prune removes them).`)
  return lines.join('\n')
}
