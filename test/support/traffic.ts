/**
 * Traffic as a client on the internet sends it: from this machine to a test host's public address, through the
 * proxy's entry points. Each call is bounded in time and sends only to the address it is given (a test host's).
 */
import {createSocket} from 'node:dgram'
import {request as httpRequest, type IncomingHttpHeaders} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {connect as netConnect} from 'node:net'
import {connect as tlsConnect, type PeerCertificate} from 'node:tls'

const TIMEOUT_MS = 10_000

export interface HttpAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export interface HttpCall {
  /** The address to connect to (the test host's IPv4 or IPv6 address): the name goes in Host/SNI only. */
  address: string
  hostname: string
  path?: string
  method?: string
  body?: string | Buffer
  /** For https: the roots to trust (e.g. the ACME CA's); the name must verify against them. */
  ca?: string | string[]
  /** For https: accept any certificate (tests about where a request lands, not about its certificate). */
  insecure?: boolean
}

function collect(req: ReturnType<typeof httpRequest>, body: string | Buffer | undefined, resolve: (a: HttpAnswer) => void, reject: (e: Error) => void): void {
  req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)))
  req.on('error', reject)
  req.on('response', (res) => {
    let data = ''
    res.setEncoding('utf8').on('data', (c: string) => (data += c))
    res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: data}))
    res.on('error', reject)
  })
  req.end(body)
}

/** One HTTPS request for `hostname` sent to `address`:443, verifying the certificate against `ca`. */
export function httpsGet(call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: call.address,
      port: 443,
      servername: call.hostname,
      path: call.path ?? '/',
      method: call.method ?? 'GET',
      headers: {host: call.hostname, ...(call.body === undefined ? {} : {'content-length': Buffer.byteLength(call.body)})},
      ca: call.ca,
      rejectUnauthorized: call.insecure !== true,
      agent: false,
    })
    collect(req, call.body, resolve, reject)
  })
}

/** One plain HTTP request for `hostname` sent to `address`:80. */
export function httpGet(call: Omit<HttpCall, 'ca' | 'insecure'>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({host: call.address, port: 80, path: call.path ?? '/', method: call.method ?? 'GET', headers: {host: call.hostname}, agent: false})
    collect(req, call.body, resolve, reject)
  })
}

export interface TlsPeer {
  /** Whether the chain verified against the given roots for the name. */
  authorized: boolean
  authorizationError?: string
  subjectCN: string
  issuerCN: string
  sans: string
  /** The chain as served, leaf first (DER → PEM-free summary: subject CNs). */
  chain: string[]
  data: string
}

/** A TLS handshake with SNI `servername` at address:port; reads what the server sends first (if anything) briefly. */
export function tlsPeer(address: string, port: number, servername: string, ca?: string | string[], send?: string): Promise<TlsPeer> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({host: address, port, servername, ca, rejectUnauthorized: false})
    let data = ''
    const timer = setTimeout(() => socket.destroy(new Error(`TLS to ${address}:${port} (${servername}) did not finish within ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.setEncoding('utf8').on('data', (c: string) => (data += c))
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      const cert = socket.getPeerCertificate(true)
      const chain: string[] = []
      let c: PeerCertificate | undefined = cert
      const seen = new Set<string>()
      while (c && c.fingerprint256 && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256)
        chain.push(String(c.subject?.CN ?? ''))
        c = (c as {issuerCertificate?: PeerCertificate}).issuerCertificate
      }
      resolve({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        subjectCN: String(cert.subject?.CN ?? ''),
        issuerCN: String(cert.issuer?.CN ?? ''),
        sans: cert.subjectaltname ?? '',
        chain,
        data,
      })
      socket.destroy()
    }
    socket.once('secureConnect', () => {
      if (send === undefined) return finish()
      socket.write(send)
      socket.once('end', finish)
      setTimeout(finish, 2000)
    })
  })
}

/**
 * Sends `payload` over TCP to address:port and returns everything the far end sent until it closed. The client
 * does not half-close first: a proxy may end the whole exchange on the client's FIN before the backend answers.
 */
export function tcpExchange(address: string, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({host: address, port})
    let data = ''
    const timer = setTimeout(() => socket.destroy(new Error(`TCP ${address}:${port}: no end of answer within ${TIMEOUT_MS} ms (got ${JSON.stringify(data.slice(0, 200))})`)), TIMEOUT_MS)
    socket.setEncoding('utf8').on('data', (c: string) => (data += c))
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('connect', () => socket.write(payload))
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(data)
    })
  })
}

/** Sends one datagram to address:port and returns the first datagram that comes back. */
export function udpExchange(address: string, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4')
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`UDP ${address}:${port}: no answer within ${TIMEOUT_MS} ms`))
    }, TIMEOUT_MS)
    socket.on('message', (msg) => {
      clearTimeout(timer)
      socket.close()
      resolve(msg.toString('utf8'))
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      socket.close()
      reject(error)
    })
    socket.send(payload, port, address)
  })
}
