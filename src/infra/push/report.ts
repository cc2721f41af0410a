import type {FileAction} from './types.js'
import type {MachinePushResult, PushSummary} from './run.js'

const SYMBOL: Record<FileAction, string> = {create: '+', update: '~', unchanged: '=', kept: '·'}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

/** One line per machine: what happened, what it cost. */
export function resultLine(r: MachinePushResult): string {
  const secs = `${(r.durationMs / 1000).toFixed(1)} s`
  switch (r.status) {
    case 'unchanged': {
      return `${r.machine}: up to date, nothing changed (${secs})`
    }

    case 'applied': {
      const services = Object.keys(r.services)
      return `${r.machine}: ${r.filesUploaded} file(s) uploaded (${kb(r.bytesUploaded)})${services.length > 0 ? `, ${services.join(' + ')} updated` : ''} (${secs})`
    }

    case 'planned': {
      const changing = r.files.filter((f) => f.action === 'create' || f.action === 'update').length
      return `${r.machine}: ${changing} file(s) would change${Object.keys(r.services).length > 0 ? `; would act on ${Object.keys(r.services).join(', ')}` : ''}`
    }

    default: {
      return `${r.machine}: FAILED${r.rolledBack ? ' (rolled back)' : ''}: ${r.error?.message ?? 'unknown error'}`
    }
  }
}

/** The --dry-run report: per machine its files, the services and why, then the diff. */
export function dryRunReport(r: MachinePushResult): string {
  const lines = [`== ${r.machine}`]
  for (const f of r.files) lines.push(`  ${SYMBOL[f.action]} ${f.path}${f.action === 'kept' ? ' (kept: never overwritten)' : ''}`)
  for (const [s, why] of Object.entries(r.services)) lines.push(`  → ${s}: ${why}`)
  if (r.diff) lines.push('', r.diff.trimEnd())
  return lines.join('\n')
}

export function summaryText(s: PushSummary): string {
  const parts = s.machines.flatMap((r) => [
    s.dryRun && r.status === 'planned' ? dryRunReport(r) : resultLine(r),
    ...(r.warnings ?? []).map((w) => `  warning: ${w}`),
  ])
  const failed = s.machines.filter((r) => r.status === 'failed')
  for (const r of failed) if (r.error?.suggestion) parts.push(`  ${r.machine}: ${r.error.suggestion}`)
  return parts.join('\n')
}
