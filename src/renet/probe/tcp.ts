import {connect} from 'node:net'

import type {Outcome, TcpCheck, TcpResult} from './types.js'

/** Maps a socket error to refused / timeout / error, the distinction a 502 diagnosis needs. */
export function outcomeOf(error: NodeJS.ErrnoException): Outcome {
  if (error.code === 'ECONNREFUSED') return 'refused'
  if (error.code === 'ETIMEDOUT') return 'timeout'
  return 'error'
}

export function probeTcp(check: TcpCheck, timeoutMs: number): Promise<TcpResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    const socket = connect({host: check.host, port: check.port})
    let done = false
    const finish = (outcome: Outcome, error?: string): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({
        id: check.id,
        kind: 'tcp',
        outcome,
        durationMs: Math.round(performance.now() - started),
        ...(error === undefined ? {} : {error}),
      })
    }

    const timer = setTimeout(() => finish('timeout', 'ETIMEDOUT'), timeoutMs)
    socket.once('connect', () => finish('ok'))
    socket.once('error', (error: NodeJS.ErrnoException) => finish(outcomeOf(error), error.code ?? error.message))
  })
}
