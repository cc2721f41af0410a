import type {DiagnoseReport, Finding, Status} from './finding.js'

const MARK: Record<Status, string> = {ok: 'ok  ', warn: 'warn', fail: 'FAIL'}

/** One line per finding: status, hop, subject, detail, and the fix after an arrow. */
export function formatFinding(f: Finding): string {
  const subject = f.subject ? `${f.subject}: ` : ''
  const fix = f.fix && f.status !== 'ok' ? `  → ${f.fix}` : ''
  return `  ${MARK[f.status]}  ${f.hop.padEnd(10)} ${subject}${f.detail}${fix}`
}

/** The human report: findings grouped by machine, then a one-line summary. */
export function formatReport(report: DiagnoseReport): string {
  const lines: string[] = []
  for (const m of report.machines) {
    const c = {ok: 0, warn: 0, fail: 0}
    for (const f of m.findings) c[f.status]++
    lines.push(`${m.machine} (${(m.durationMs / 1000).toFixed(1)} s): ${c.fail} failed, ${c.warn} warnings, ${c.ok} ok`, ...m.findings.map(formatFinding), '')
  }
  const {ok, warn, fail} = report.counts
  lines.push(report.ok ? `All hops ok (${ok} ok, ${warn} warnings).` : `${fail} failed, ${warn} warnings, ${ok} ok.`)
  return lines.join('\n')
}
