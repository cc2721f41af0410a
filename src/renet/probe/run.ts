import {probeHttp} from './http.js'
import {DEFAULT_TIMEOUT_MS} from './spec.js'
import {probeTcp} from './tcp.js'
import {probeTls} from './tls.js'
import type {ProbeCheck, ProbeResult, ProbeSpec} from './types.js'
import {probeUdp} from './udp.js'

function runOne(check: ProbeCheck, timeoutMs: number): Promise<ProbeResult> {
  switch (check.kind) {
    case 'tcp': {
      return probeTcp(check, timeoutMs)
    }

    case 'http': {
      return probeHttp(check, timeoutMs)
    }

    case 'tls': {
      return probeTls(check, timeoutMs)
    }

    case 'udp': {
      return probeUdp(check, timeoutMs)
    }
  }
}

/** All checks at once: the whole probe takes about as long as its slowest check, bounded by the timeout. */
export function runProbe(spec: ProbeSpec): Promise<ProbeResult[]> {
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return Promise.all(spec.checks.map((c) => runOne(c, timeoutMs)))
}
