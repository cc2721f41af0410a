/**
 * What `rdc diagnose` reports: one Finding per hop checked. Checks are pure functions from gathered facts to
 * Finding[]; the formatter prints one line per finding, `--json` returns them as they are.
 */

export type Hop =
  | 'local'
  | 'ssh'
  | 'versions'
  | 'router'
  | 'proxy'
  | 'entrypoint'
  | 'route'
  | 'backend'
  | 'dns'
  | 'tls'
  | 'port'
  | 'relay'

export type Status = 'ok' | 'warn' | 'fail'

/** The newest ACME error Traefik logged for a name (tls findings), as --json carries it. */
export interface AcmeEvidence {
  /** cloudflare-auth | cloudflare-zone | dns | rate-limited | acme-server | other */
  cause: string
  /** Traefik's error text for this name, on one line, trimmed. */
  error: string
  domains: string[]
  time?: string
  /** The ACME directory Traefik used. */
  ca?: string
}

/** The served chain as judged (tls findings that are not ok). */
export interface ChainEvidence {
  verdict: 'verified' | 'staging' | 'failed'
  /** The roots the chain was checked against. */
  checkedAgainst: string
  certificates: Array<{subject: string; issuer: string; notBefore: string; notAfter: string}>
}

export interface Finding {
  hop: Hop
  status: Status
  /** What the finding is about: a hostname, router, entry point, daemon or unit. */
  subject?: string
  detail: string
  /** The command or change that fixes it; absent on ok findings. */
  fix?: string
  durationMs?: number
  acme?: AcmeEvidence
  chain?: ChainEvidence
}

export interface MachineReport {
  machine: string
  findings: Finding[]
  durationMs: number
}

export interface DiagnoseReport {
  ok: boolean
  counts: Record<Status, number>
  machines: MachineReport[]
}

export const ok = (hop: Hop, detail: string, extra: Partial<Finding> = {}): Finding => ({hop, status: 'ok', detail, ...extra})
export const warn = (hop: Hop, detail: string, fix: string | undefined, extra: Partial<Finding> = {}): Finding => ({
  hop,
  status: 'warn',
  detail,
  ...(fix === undefined ? {} : {fix}),
  ...extra,
})
export const fail = (hop: Hop, detail: string, fix: string, extra: Partial<Finding> = {}): Finding => ({
  hop,
  status: 'fail',
  detail,
  fix,
  ...extra,
})

export function hasFailure(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.status === 'fail')
}

export function summarise(machines: MachineReport[]): DiagnoseReport {
  const counts: Record<Status, number> = {ok: 0, warn: 0, fail: 0}
  for (const m of machines) for (const f of m.findings) counts[f.status]++
  return {ok: counts.fail === 0, counts, machines}
}
