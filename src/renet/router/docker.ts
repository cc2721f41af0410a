/**
 * The little of the Docker Engine API the route server needs, over the daemon's unix socket with node:http:
 * list running containers, and follow container events.
 */
import {ClientRequest, request} from 'node:http'

import type {ContainerInfo} from './types.js'

export class DockerApiError extends Error {}

interface ListedContainer {
  Id: string
  Names?: string[]
  Labels?: Record<string, string> | null
  Created?: number
  Status?: string
}

/** Docker puts the health state only in the human status text of a listed container: "Up 3s (healthy)". */
export function healthFromStatus(status: string | undefined): string {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '')
  if (!m) return ''
  return m[1] === 'health: starting' ? 'starting' : m[1]
}

export function listContainers(socket: string, timeoutMs = 5000): Promise<ContainerInfo[]> {
  return new Promise((resolve, reject) => {
    const req = request({socketPath: socket, path: '/containers/json', method: 'GET', timeout: timeoutMs}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        if (res.statusCode !== 200) {
          reject(new DockerApiError(`GET /containers/json: HTTP ${res.statusCode}: ${body.slice(0, 200)}`))
          return
        }

        try {
          const list = JSON.parse(body) as ListedContainer[]
          resolve(
            list.map((c) => ({
              id: c.Id,
              name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
              labels: c.Labels ?? {},
              created: c.Created ?? 0,
              health: healthFromStatus(c.Status),
            })),
          )
        } catch (error) {
          reject(new DockerApiError(`GET /containers/json: unreadable answer (${(error as Error).message})`))
        }
      })
    })
    req.on('timeout', () => req.destroy(new DockerApiError(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** Docker's RFC 3339 time with nanoseconds → Unix seconds, keeping the sub-second part. */
export function parseDockerTime(value: string): number | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value)
  if (!m) return null
  const whole = Date.parse(`${m[1]}${m[3]}`)
  if (Number.isNaN(whole)) return null
  return whole / 1000 + Number(`0.${m[2] ?? '0'}`)
}

/**
 * The exact creation time of a container. The list gives whole seconds only, and "who had a hostname first"
 * must not be decided by chance between two containers created in the same second.
 */
export function inspectCreated(socket: string, id: string, timeoutMs = 5000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({socketPath: socket, path: `/containers/${encodeURIComponent(id)}/json`, method: 'GET', timeout: timeoutMs}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', () => resolve(null))
      res.on('end', () => {
        try {
          const created = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as {Created?: string}).Created
          resolve(res.statusCode === 200 && typeof created === 'string' ? parseDockerTime(created) : null)
        } catch {
          resolve(null)
        }
      })
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(null))
    req.end()
  })
}

export interface EventStream {
  close(): void
}

const EVENTS = ['start', 'die', 'destroy', 'stop', 'kill', 'pause', 'unpause', 'health_status', 'rename', 'update']

/**
 * Follows container events. `onOpen` fires once the daemon accepted the stream (list after it, so nothing is
 * missed in between); `onEnd` fires once when the stream fails or ends.
 */
export function followEvents(
  socket: string,
  handlers: {onOpen(): void; onEvent(): void; onEnd(error: Error): void},
): EventStream {
  const filters = encodeURIComponent(JSON.stringify({type: ['container'], event: EVENTS}))
  let ended = false
  const end = (error: Error) => {
    if (ended) return
    ended = true
    handlers.onEnd(error)
  }

  const req: ClientRequest = request({socketPath: socket, path: `/events?filters=${filters}`, method: 'GET'}, (res) => {
    if (res.statusCode !== 200) {
      res.resume()
      end(new DockerApiError(`GET /events: HTTP ${res.statusCode}`))
      return
    }

    handlers.onOpen()
    res.setEncoding('utf8')
    // Events are newline-delimited JSON; any complete line is a reason to look again.
    res.on('data', (chunk: string) => {
      if (chunk.includes('\n')) handlers.onEvent()
    })
    res.on('end', () => end(new DockerApiError('event stream ended')))
    res.on('error', end)
  })
  req.on('error', end)
  req.end()
  return {
    close() {
      ended = true
      req.destroy()
    },
  }
}
