import {request} from 'node:http'

import {outcomeOf} from './tcp.js'
import type {HttpCheck, HttpResult} from './types.js'

const DEFAULT_MAX_BODY = 256 * 1024

/** A plain GET; over a unix socket when socketPath is given (the Docker API). Any status counts as an answer. */
export function probeHttp(check: HttpCheck, timeoutMs: number): Promise<HttpResult> {
  const started = performance.now()
  const maxBody = check.maxBody ?? DEFAULT_MAX_BODY
  return new Promise((resolve) => {
    let done = false
    const finish = (result: Omit<HttpResult, 'id' | 'kind' | 'durationMs'>): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve({id: check.id, kind: 'http', durationMs: Math.round(performance.now() - started), ...result})
    }

    let url: URL
    try {
      url = new URL(check.url)
    } catch {
      resolve({id: check.id, kind: 'http', outcome: 'error', error: `invalid url ${check.url}`, durationMs: 0})
      return
    }

    const target =
      check.socketPath === undefined
        ? {host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 80 : Number(url.port)}
        : {socketPath: check.socketPath}
    const req = request({...target, method: 'GET', agent: false, path: url.pathname + url.search, headers: {host: url.host}})
    const timer = setTimeout(() => finish({outcome: 'timeout', error: 'ETIMEDOUT'}), timeoutMs)
    req.once('error', (error: NodeJS.ErrnoException) => finish({outcome: outcomeOf(error), error: error.code ?? error.message}))
    req.once('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      let truncated = false
      res.on('data', (chunk: Buffer) => {
        const room = maxBody - size
        if (chunk.length > room) truncated = true
        if (room <= 0) return
        chunks.push(chunk.subarray(0, room))
        size += Math.min(chunk.length, room)
      })
      res.once('end', () =>
        finish({
          outcome: 'ok',
          status: res.statusCode,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(truncated ? {truncated} : {}),
        }),
      )
      res.once('error', (error: NodeJS.ErrnoException) => finish({outcome: 'error', status: res.statusCode, error: error.code ?? error.message}))
    })
    req.end()
  })
}
