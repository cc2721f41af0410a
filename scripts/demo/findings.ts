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

/**
 * Failures the demo's setting causes by design, not rdc: no ACME CA is reachable offline, so no certificate is
 * ever issued and the proxy serves Traefik's default one. Anything else is a real failure of the demo.
 */
export function expectedOffline(f: FailedFinding): boolean {
  return f.hop === 'tls' && /certificate not issued/.test(f.detail)
}
