/**
 * The part of push-infra's Transport that diagnose uses: one exec per round trip. Declared here structurally
 * so any Transport (ssh2, or a local one in tests) fits.
 */
export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface ExecTransport {
  exec(argv: string[], options?: {stdin?: string | Buffer; timeoutMs?: number}): Promise<ExecResult>
  close?(): Promise<void> | void
}
