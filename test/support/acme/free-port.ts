/**
 * Free ports for the lab's servers. The kernel picks one for the first address (bind to port 0), and the same
 * number is then tried on every other address and, when asked, for UDP too: one port number per server keeps
 * URLs and resolver addresses alike on every address. A port found here can still be taken before our child
 * binds it; the starters retry when a child reports "address already in use".
 */
import {createSocket} from 'node:dgram'
import {isIPv6, createServer} from 'node:net'

function tcpFree(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen({host, port, exclusive: true}, () => {
      const got = (server.address() as {port: number}).port
      server.close(() => resolve(got))
    })
  })
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
    socket.once('error', () => {
      socket.close()
      resolve(false)
    })
    socket.bind({address: host, port, exclusive: true}, () => socket.close(() => resolve(true)))
  })
}

/** A port that TCP (and UDP when `udp`) can bind on every one of `hosts` right now. */
export async function freePort(hosts: string[], options: {udp?: boolean} = {}): Promise<number> {
  if (hosts.length === 0) throw new Error('freePort needs at least one address')
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpFree(hosts[0], 0)
    if (port === undefined) throw new Error(`cannot bind any TCP port on ${hosts[0]}: is that address configured on this machine?`)
    let ok = true
    for (const host of hosts) {
      if ((host !== hosts[0] && (await tcpFree(host, port)) === undefined) || (options.udp && !(await udpFree(host, port)))) {
        ok = false
        break
      }
    }
    if (ok) return port
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`)
}

/** True when `port` is free for TCP (and UDP when `udp`) on every address. */
export async function portFree(hosts: string[], port: number, options: {udp?: boolean} = {}): Promise<boolean> {
  for (const host of hosts) {
    if ((await tcpFree(host, port)) === undefined) return false
    if (options.udp && !(await udpFree(host, port))) return false
  }
  return true
}
