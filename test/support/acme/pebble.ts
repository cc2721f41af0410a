/**
 * Pebble (Debian's pebble package), the ACME server, validating DNS-01 against challtestsrv (-dnsserver).
 *
 * Pebble takes one listen address. It listens on 127.0.0.1 at a private port, and a plain TCP relay in this
 * process listens on each address the caller gives (the test hosts' veth ends, or 127.0.0.x) at one public port:
 * nothing listens anywhere it was not told to, and TLS passes through the relay untouched, so Pebble's
 * certificate (IP SANs for every address) is what clients check. Pebble builds the URLs in its directory from
 * the request's Host, so each address gets a directory that points back at itself.
 *
 * Environment: PEBBLE_VA_NOSLEEP=1 (no random 0–15 s sleep before validating), PEBBLE_WFE_NONCEREJECT=0 (no
 * deliberate badNonce errors) and PEBBLE_AUTHZREUSE=0 (every order needs its own DNS-01 challenge, so a test can
 * count on a TXT record being created for each issuance; Pebble's default reuses a valid authorization half the time).
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {createConnection, createServer, isIPv6, type Server} from 'node:net'
import {join} from 'node:path'

import {freePort} from './free-port.js'
import {makeListenerTls} from './listener-tls.js'
import {startSupervised, type Supervised} from './supervised-process.js'

export const PEBBLE = '/usr/bin/pebble'

export interface Pebble {
  /** The port Pebble's ACME API answers on at every given address. */
  port: number
  directoryUrl(address: string): string
  /** Pebble's management API (HTTPS, same certificate): /roots/0, /intermediates/0, /cert-status-by-serial/… */
  managementUrl: string
  /** The CA that signed the listener certificate: what an ACME client must trust to talk to Pebble. */
  listenerCaPem: string
  listenerCaFile: string
  /** The root that issued certificates chain to; random per Pebble start. */
  rootPem: string
  intermediatePem: string
  process: Supervised
  stop(): Promise<void>
}

export function hostForUrl(address: string): string {
  return isIPv6(address) ? `[${address}]` : address
}

/** GET over HTTPS trusting only `ca`; resolves with status and body. */
export function httpsGet(url: string, ca: string): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = request(url, {ca, timeout: 5000}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

/** A TCP relay from each of `addresses`:`port` to `target`; closes every connection when closed. */
async function relay(addresses: string[], port: number, target: {host: string; port: number}): Promise<() => Promise<void>> {
  const servers: Server[] = []
  const sockets = new Set<import('node:net').Socket>()
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy()
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }
  try {
    for (const address of addresses) {
      const server = createServer((inbound) => {
        const outbound = createConnection(target)
        for (const s of [inbound, outbound]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => {
            inbound.destroy()
            outbound.destroy()
          })
        }
        inbound.pipe(outbound).pipe(inbound)
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({host: address, port, exclusive: true}, () => resolve())
      })
      servers.push(server)
    }
  } catch (error) {
    await close()
    throw error
  }
  return close
}

export async function startPebble(options: {addresses: string[]; dnsServer: string; dir: string}): Promise<Pebble> {
  const {addresses, dnsServer, dir} = options
  mkdirSync(dir, {recursive: true})
  const tls = makeListenerTls(join(dir, 'listener-tls'), [...addresses, '127.0.0.1', '::1', 'localhost'])
  let lastError = ''
  for (let attempt = 0; attempt < 3; attempt++) {
    const acmePort = await freePort(['127.0.0.1'])
    const managementPort = await freePort(['127.0.0.1'])
    const configFile = join(dir, 'pebble-config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${acmePort}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: tls.certFile,
          privateKey: tls.keyFile,
          // Used only for HTTP-01 and TLS-ALPN-01, which the lab does not offer to validate.
          httpPort: 5002,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    )
    const proc = await startSupervised('pebble', PEBBLE, ['-config', configFile, '-dnsserver', dnsServer, '-strict=false'], {
      env: {...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0'},
    })
    const managementUrl = `https://127.0.0.1:${managementPort}`
    const deadline = Date.now() + 15_000
    let up = false
    while (Date.now() < deadline && proc.running()) {
      const dirOk = await httpsGet(`https://127.0.0.1:${acmePort}/dir`, tls.caPem).then((r) => r.status === 200, () => false)
      const rootOk = dirOk && (await httpsGet(`${managementUrl}/roots/0`, tls.caPem).then((r) => r.status === 200, () => false))
      if (rootOk) {
        up = true
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    if (!up) {
      await proc.stop()
      lastError = proc.output()
      if (/address already in use/i.test(lastError)) continue
      break
    }
    const rootPem = (await httpsGet(`${managementUrl}/roots/0`, tls.caPem)).body
    const intermediatePem = (await httpsGet(`${managementUrl}/intermediates/0`, tls.caPem)).body
    const port = await freePort(addresses)
    const closeRelay = await relay(addresses, port, {host: '127.0.0.1', port: acmePort}).catch(async (error: unknown) => {
      await proc.stop()
      throw error
    })
    return {
      port,
      directoryUrl: (address) => `https://${hostForUrl(address)}:${port}/dir`,
      managementUrl,
      listenerCaPem: tls.caPem,
      listenerCaFile: tls.caFile,
      rootPem,
      intermediatePem,
      process: proc,
      async stop() {
        await closeRelay()
        await proc.stop()
      },
    }
  }
  throw new Error(`pebble did not come up: ${lastError}`)
}
