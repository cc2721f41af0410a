/**
 * The machine-readable result of `renet rediaccfile`: its last line on stderr is SUMMARY_MARKER followed by one
 * line of JSON (a RediaccfileSummary). Every Rediaccfile output line carries a `[folder] ` prefix, so no
 * output line can be mistaken for it. `rdc repo up` reads it with parseSummary.
 */
import type {Step} from './discover.js'

export const SUMMARY_MARKER = 'RENET_RESULT '

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'not-run'

export interface StepResult {
  folder: string
  status: StepStatus
  /** The bash exit code; null when it did not run or ended by a signal. */
  exitCode: number | null
  durationMs: number
  note?: string
}

export interface RediaccfileSummary {
  action: Step
  ok: boolean
  repository: {name: string; path: string; networkId: number}
  /** Every service of the repository with its slot and IP, as the Rediaccfiles saw them. */
  services: Record<string, {slot: number; ip: string}>
  steps: StepResult[]
  /** Folders whose step failed, in the order they ran. */
  failed: string[]
  /** Set when the run stopped before any step (bad input); nothing ran then. */
  error?: {message: string; suggestion?: string}
}

export function formatSummary(summary: RediaccfileSummary): string {
  return `${SUMMARY_MARKER}${JSON.stringify(summary)}\n`
}

/** The summary in a run's stderr, or null when it has none (renet died, or is older than this format). */
export function parseSummary(stderr: string): RediaccfileSummary | null {
  const lines = stderr.split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith(SUMMARY_MARKER)) return JSON.parse(lines[i].slice(SUMMARY_MARKER.length)) as RediaccfileSummary
  }

  return null
}
