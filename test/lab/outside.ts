/**
 * "Outside the host": an HTTP server on this machine's end of a test host's veth pair, the only address a host
 * reaches. It answers `outside saw <path>`, so a test sees which request got out (NAT, a build step's network).
 */
import {createServer} from 'node:http'

import type {TestHost} from '../testhost/index.js'

export interface OutsideServer {
  port: number
  close(): Promise<void>
}

export async function startOutsideServer(host: Pick<TestHost, 'peer'>): Promise<OutsideServer> {
  const server = createServer((req, res) => res.end(`outside saw ${req.url}\n`))
  await new Promise<void>((resolve) => server.listen(0, host.peer, resolve))
  return {
    port: (server.address() as {port: number}).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
