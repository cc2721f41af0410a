/**
 * The DNS front: one address that serves both of lego's propagation checks, and that a test host's
 * /etc/resolv.conf can name. UDP and TCP, on each given address at one port (53 in test hosts).
 *
 * What lego v5.5.2 asks (challenge/internal/client_zone.go, client_nameservers.go, dns01/client_nameservers.go):
 * 1. SOA for _acme-challenge.app.example.com., then app.example.com., then example.com. … until an answer holds
 *    a SOA; a NOERROR/NXDOMAIN without one moves up, any other rcode is an error. challtestsrv answers SOA with
 *    NOTIMP, so the front answers SOA itself: the SOA at each zone apex, NODATA with the SOA in the authority
 *    section below it.
 * 2. TXT at the recursive resolvers (Traefik's dnsChallenge.resolvers): relayed to challtestsrv.
 * 3. NS for the zone at the recursive resolvers (answered here: ns1/ns2.cf-standin.test.), then TXT at each of
 *    those names on port 53, the names resolved by the system resolver. A and AAAA for the name servers are the
 *    address the query arrived on (of that family only), so with resolv.conf naming the front, lego's
 *    "authoritative" query comes back to the front, which relays it to challtestsrv like any other.
 * Everything else is relayed to challtestsrv as asked (the question's name lower-cased, because challtestsrv
 * matches names byte for byte; the client's own spelling is put back in the reply). SOA and NS for a name in no
 * configured zone are REFUSED, as an authoritative server answers for a zone it does not serve.
 *
 * Relayed replies get RA set (and AA inside our zones): Go's resolver takes a NOERROR reply with no answer and
 * neither bit set for a lame referral and gives up on the server, instead of reporting "no such record".
 */
import {createSocket, type Socket as UdpSocket} from 'node:dgram'
import {createServer, isIPv6, type Server, type Socket} from 'node:net'

import {NAME_SERVERS} from './cloudflare-standin.js'
import {
  canonicalName,
  CLASS_IN,
  decodeMessage,
  encodeMessage,
  exchangeTcp,
  exchangeUdp,
  joinHostPort,
  peekQuery,
  RCODE,
  rcodeName,
  splitHostPort,
  TYPE,
  typeName,
  type Question,
  type ResourceRecord,
  type Soa,
} from './dns-wire.js'

export interface FrontQuery {
  at: string
  transport: 'udp' | 'tcp'
  /** The front's address the query arrived on. */
  local: string
  name: string
  type: string
  /** Recursion desired: lego's recursive checks set it, its authoritative TXT query does not. */
  rd: boolean
  /** 'front' when answered here, 'challtestsrv' when relayed. */
  answeredBy: 'front' | 'challtestsrv'
  rcode: string
  answers: number
}

export interface DnsFront {
  port: number
  /** "addr:port" ("[v6]:port"), as Traefik's dnsChallenge.resolvers takes it. */
  resolver(address: string): string
  queries(): FrontQuery[]
  stop(): Promise<void>
}

const TTL = 60

export function soaFor(zone: string, serial: number): Soa {
  return {mname: `${NAME_SERVERS[0]}.`, rname: 'dns.cf-standin.test.', serial, refresh: 10_000, retry: 2400, expire: 604_800, minimum: TTL}
}

/** The zone `name` falls in (longest match), or undefined. Names and zones in canonical form. */
function zoneOf(name: string, zones: string[]): string | undefined {
  return zones.filter((z) => name === z || name.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0]
}

/** Largest UDP reply the client takes: its EDNS(0) size, else 512. */
function udpLimit(query: Buffer): number {
  try {
    const opt = decodeMessage(query).additionals.find((r) => r.type === TYPE.OPT)
    return opt ? Math.max(512, opt.class) : 512
  } catch {
    return 512
  }
}

export async function startDnsFront(options: {addresses: string[]; port: number; zones: string[]; upstream: string}): Promise<DnsFront> {
  const zones = options.zones.map(canonicalName)
  const nameServers = NAME_SERVERS.map(canonicalName)
  const upstream = splitHostPort(options.upstream)
  const serial = Math.floor(Date.now() / 1000)
  const log: FrontQuery[] = []

  const record = (entry: Omit<FrontQuery, 'at'>): void => {
    log.push({at: new Date().toISOString(), ...entry})
    if (log.length > 10_000) log.splice(0, log.length - 10_000)
  }

  /** Our own reply: the client's question as sent, AA set, RD copied. */
  const reply = (
    query: {id: number; flags: number},
    question: Question | undefined,
    rcode: number,
    sections: {answers?: ResourceRecord[]; authorities?: ResourceRecord[]; additionals?: ResourceRecord[]} = {},
  ): Buffer =>
    encodeMessage({
      id: query.id,
      qr: true,
      opcode: (query.flags >> 11) & 0xf,
      aa: true,
      tc: false,
      rd: (query.flags & 0x0100) !== 0,
      ra: true,
      rcode,
      questions: question ? [question] : [],
      answers: sections.answers ?? [],
      authorities: sections.authorities ?? [],
      additionals: sections.additionals ?? [],
    })

  const addressRecord = (owner: string, local: string): ResourceRecord =>
    isIPv6(local) ? {name: owner, type: TYPE.AAAA, class: CLASS_IN, ttl: TTL, data: local} : {name: owner, type: TYPE.A, class: CLASS_IN, ttl: TTL, data: local}

  async function relay(query: Buffer, questionEnd: number, inZone: boolean): Promise<Buffer> {
    const lowered = Buffer.from(query)
    for (let i = 12; i < questionEnd - 4; i++) if (lowered[i] >= 0x41 && lowered[i] <= 0x5a) lowered[i] += 0x20
    let answer = await exchangeUdp(lowered, upstream.host, upstream.port, 3000)
    if (answer && answer.length >= 4 && (answer[2] & 0x02) !== 0) answer = await exchangeTcp(lowered, upstream.host, upstream.port, 3000)
    if (!answer || answer.length < 12) {
      const q = peekQuery(query)
      return reply(q, q.question, RCODE.SERVFAIL)
    }
    const out = Buffer.from(answer)
    try {
      // Same question, same length: put the client's spelling of the name back.
      if (peekQuery(out).questionEnd === questionEnd) query.copy(out, 12, 12, questionEnd)
    } catch {
      // An answer we cannot read is passed on as it came.
    }
    out[3] |= 0x80
    if (inZone) out[2] |= 0x04
    return out
  }

  /** The reply to one query that arrived on `local`, or undefined to stay silent (not a query at all). */
  async function respond(query: Buffer, local: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let head: ReturnType<typeof peekQuery>
    try {
      head = peekQuery(query)
    } catch {
      if (query.length < 12 || (query[2] & 0x80) !== 0) return undefined
      return reply({id: query.readUInt16BE(0), flags: query.readUInt16BE(2)}, undefined, RCODE.FORMERR)
    }
    if ((head.flags & 0x8000) !== 0) return undefined
    const q = head.question
    if (!q || ((head.flags >> 11) & 0xf) !== 0) return reply(head, q, q ? RCODE.NOTIMP : RCODE.FORMERR)
    const name = canonicalName(q.name)
    const ours = (rcode: number, sections: Parameters<typeof reply>[3] = {}): Buffer => {
      record({transport, local, name, type: typeName(q.type), rd: (head.flags & 0x0100) !== 0, answeredBy: 'front', rcode: rcodeName(rcode), answers: sections.answers?.length ?? 0})
      return reply(head, q, rcode, sections)
    }

    if (nameServers.includes(name)) {
      const family = isIPv6(local) ? TYPE.AAAA : TYPE.A
      return ours(RCODE.NOERROR, q.type === family ? {answers: [addressRecord(q.name, local)]} : {})
    }

    const zone = zoneOf(name, zones)
    if (q.type === TYPE.SOA || q.type === TYPE.NS) {
      if (zone === undefined) return ours(RCODE.REFUSED)
      const soa: ResourceRecord = {name: `${zone}.`, type: TYPE.SOA, class: CLASS_IN, ttl: TTL, data: soaFor(zone, serial)}
      if (name !== zone) return ours(RCODE.NOERROR, {authorities: [soa]})
      if (q.type === TYPE.SOA) return ours(RCODE.NOERROR, {answers: [soa]})
      return ours(RCODE.NOERROR, {
        answers: nameServers.map((ns) => ({name: `${zone}.`, type: TYPE.NS, class: CLASS_IN, ttl: TTL, data: `${ns}.`})),
        additionals: nameServers.map((ns) => addressRecord(`${ns}.`, local)),
      })
    }

    const out = await relay(query, head.questionEnd, zone !== undefined)
    let rcode = 'SERVFAIL'
    let answers = 0
    try {
      const m = decodeMessage(out)
      rcode = rcodeName(m.rcode)
      answers = m.answers.length
    } catch {
      // logged as SERVFAIL
    }
    record({transport, local, name, type: typeName(q.type), rd: (head.flags & 0x0100) !== 0, answeredBy: 'challtestsrv', rcode, answers})
    return out
  }

  const udpSockets: UdpSocket[] = []
  const tcpServers: Server[] = []
  const tcpClients = new Set<Socket>()

  const stop = async (): Promise<void> => {
    for (const c of tcpClients) c.destroy()
    await Promise.all([
      ...udpSockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ...tcpServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ])
  }

  try {
    for (const address of options.addresses) {
      const udp = createSocket({type: isIPv6(address) ? 'udp6' : 'udp4'})
      udp.on('message', (msg, rinfo) => {
        void respond(msg, address, 'udp').then((out) => {
          if (!out) return
          const limit = udpLimit(msg)
          if (out.length > limit) {
            // Too big for UDP: header and question only, TC set, so the client asks again over TCP.
            const head = peekQuery(out)
            const cut = Buffer.from(out.subarray(0, head.questionEnd))
            cut.writeUInt16BE(head.question ? 1 : 0, 4)
            cut.fill(0, 6, 12)
            cut[2] |= 0x02
            udp.send(cut, rinfo.port, rinfo.address)
            return
          }
          udp.send(out, rinfo.port, rinfo.address)
        })
      })
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject)
        udp.bind({address, port: options.port, exclusive: true}, () => resolve())
      })
      // A send to a client that went away must not take the test process down.
      udp.on('error', () => {})
      udpSockets.push(udp)

      const tcp = createServer((socket) => {
        tcpClients.add(socket)
        socket.setTimeout(10_000, () => socket.destroy())
        socket.on('close', () => tcpClients.delete(socket))
        socket.on('error', () => socket.destroy())
        let buf = Buffer.alloc(0)
        let chain: Promise<void> = Promise.resolve()
        socket.on('data', (chunk) => {
          buf = Buffer.concat([buf, chunk])
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const msg = buf.subarray(2, 2 + buf.readUInt16BE(0))
            buf = buf.subarray(2 + msg.length)
            // Answers go back in the order the queries came.
            chain = chain.then(async () => {
              const out = await respond(Buffer.from(msg), address, 'tcp')
              if (out && !socket.destroyed) {
                const len = Buffer.alloc(2)
                len.writeUInt16BE(out.length)
                socket.write(Buffer.concat([len, out]))
              }
            })
          }
        })
      })
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen({host: address, port: options.port, exclusive: true}, () => resolve())
      })
      tcpServers.push(tcp)
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {
    port: options.port,
    resolver: (address) => joinHostPort(address, options.port),
    queries: () => log.map((q) => ({...q})),
    stop,
  }
}
