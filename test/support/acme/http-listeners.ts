import {createServer, type RequestListener, type Server} from 'node:http'

/**
 * One HTTP handler on a port of each given address (test hosts reach only their own veth peer, so a lab service
 * listens on every peer it serves). Binding all or none: a failed bind closes the ones already made.
 */
export async function listenOnAll(addresses: readonly string[], port: number, handler: RequestListener): Promise<{close(): Promise<void>}> {
  const servers: Server[] = []
  const close = async (): Promise<void> => {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve())
            s.closeAllConnections()
          }),
      ),
    )
  }
  try {
    for (const address of addresses) {
      const s = createServer(handler)
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen({host: address, port, exclusive: true}, () => resolve())
      })
      servers.push(s)
    }
  } catch (error) {
    await close()
    throw error
  }

  return {close}
}
