/** A FAIL line of `rdc diagnose`'s human report: "    FAIL  <hop>  <detail>  → <fix>". */
export interface FailedFinding {
  hop: string
  detail: string
}

export function failedFindings(report: string): FailedFinding[] {
  return report.split('\n').flatMap((line) => {
    const m = /^\s*FAIL\s+(\S+)\s+(.*)$/.exec(line)
    return m ? [{hop: m[1]!, detail: m[2]!.split('  → ')[0]!.trim()}] : []
  })
}
