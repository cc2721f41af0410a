/**
 * A resolver in front of the DNS front that adds the one thing challtestsrv lacks: wildcard records. challtestsrv
 * answers names byte for byte, so `*.example.com` (mirrored there like any record) answers only a query for
 * `*.example.com` itself. This relays every query to the front (and so to challtestsrv); when the answer is empty,
 * the question is A or AAAA in a zone, and the Cloudflare stand-in holds no record at that name, it asks the front
 * for the wildcard at the name's closest encloser (RFC 4592) and answers with those records under the asked name,
 * as Cloudflare's DNS does. UDP only (what node:dns and `rdc diagnose --resolver` use).
 */
import {createSocket, type Socket} from 'node:dgram'

import {buildQuery, canonicalName, decodeMessage, encodeMessage, exchangeUdp, joinHostPort, peekQuery, RCODE, splitHostPort, TYPE} from './dns-wire.js'

export interface WildcardResolver {
  /** "127.0.0.1:port", for `rdc diagnose --resolver` and node:dns setServers. */
  address: string
  /** Queries answered through a wildcard so far. */
  synthesized(): Array<{name: string; type: string; wildcard: string}>
  stop(): Promise<void>
}

/** The wildcard owner that answers `name` given the names that exist in its zone, or undefined. */
export function wildcardFor(name: string, zone: string, existing: readonly string[]): string | undefined {
  const n = canonicalName(name)
  const exists = (x: string) => existing.some((r) => r === x || r.endsWith(`.${x}`))
  if (exists(n)) return undefined
  let encloser = n
  while (encloser !== zone && encloser.includes('.')) {
    encloser = encloser.slice(encloser.indexOf('.') + 1)
    if (encloser === zone || exists(encloser)) break
  }
  const wildcard = `*.${encloser}`
  return existing.includes(wildcard) ? wildcard : undefined
}

export async function startWildcardResolver(options: {
  upstream: string
  zones: string[]
  /** Names the Cloudflare stand-in holds records for, now. */
  names: () => string[]
  host?: string
}): Promise<WildcardResolver> {
  const upstream = splitHostPort(options.upstream)
  const zones = options.zones.map(canonicalName)
  const log: Array<{name: string; type: string; wildcard: string}> = []
  const socket: Socket = createSocket('udp4')

  const answer = async (query: Buffer): Promise<Buffer | undefined> => {
    const relayed = await exchangeUdp(query, upstream.host, upstream.port, 3000)
    if (!relayed) return undefined
    let head
    try {
      head = peekQuery(query)
    } catch {
      return relayed
    }
    const q = head.question
    if (!q || (q.type !== TYPE.A && q.type !== TYPE.AAAA)) return relayed
    const reply = decodeMessage(relayed)
    if (reply.rcode !== RCODE.NOERROR || reply.answers.length > 0) return relayed
    const name = canonicalName(q.name)
    const zone = zones.filter((z) => name === z || name.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0]
    if (zone === undefined) return relayed
    const wildcard = wildcardFor(name, zone, options.names().map(canonicalName))
    if (wildcard === undefined) return relayed
    const viaWildcard = await exchangeUdp(buildQuery(wildcard, q.type, {rd: true}), upstream.host, upstream.port, 3000)
    if (!viaWildcard) return relayed
    const w = decodeMessage(viaWildcard)
    if (w.answers.length === 0) return relayed
    log.push({name, type: q.type === TYPE.A ? 'A' : 'AAAA', wildcard})
    return encodeMessage({...reply, answers: w.answers.map((r) => ({...r, name: q.name}))})
  }

  socket.on('message', (msg, rinfo) => {
    answer(msg)
      .then((out) => {
        if (out) socket.send(out, rinfo.port, rinfo.address)
      })
      .catch(() => undefined)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind({address: options.host ?? '127.0.0.1', port: 0}, () => resolve())
  })
  const {address, port} = socket.address()
  return {
    address: joinHostPort(address, port),
    synthesized: () => log.map((x) => ({...x})),
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
