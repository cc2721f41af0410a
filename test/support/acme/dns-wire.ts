/**
 * A minimal DNS wire codec (RFC 1035) and a one-query client, enough for the ACME lab's DNS front and its tests:
 * A, AAAA, NS, CNAME, SOA and TXT are decoded; every other type keeps its rdata as bytes. Names are decoded with
 * compression pointers (challtestsrv answers without compression, other servers may not) and encoded without them,
 * which keeps the encoder simple and the front's small answers well under 512 bytes.
 */
import {createSocket} from 'node:dgram'
import {isIPv4, isIPv6, connect as tcpConnect} from 'node:net'

export const TYPE = {A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, CAA: 257, ANY: 255} as const
export const RCODE = {NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5} as const
export const CLASS_IN = 1

export interface Soa {
  mname: string
  rname: string
  serial: number
  refresh: number
  retry: number
  expire: number
  minimum: number
}

/** `data` is an address (A, AAAA), a name (NS, CNAME), the character-strings (TXT), a SOA, or raw bytes. */
export type RData = string | string[] | Soa | Buffer

export interface Question {
  name: string
  type: number
  class: number
}

export interface ResourceRecord {
  name: string
  type: number
  class: number
  ttl: number
  data: RData
}

export interface DnsMessage {
  id: number
  qr: boolean
  opcode: number
  aa: boolean
  tc: boolean
  rd: boolean
  ra: boolean
  rcode: number
  questions: Question[]
  answers: ResourceRecord[]
  authorities: ResourceRecord[]
  additionals: ResourceRecord[]
}

export function typeName(type: number): string {
  return Object.entries(TYPE).find(([, v]) => v === type)?.[0] ?? `TYPE${type}`
}

export function rcodeName(rcode: number): string {
  return Object.entries(RCODE).find(([, v]) => v === rcode)?.[0] ?? `RCODE${rcode}`
}

/** Lower case, no trailing dot: the form names are compared in ("" is the root). */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

// ---------------------------------------------------------------- decoding

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`DNS message truncated at byte ${this.pos}`)
  }

  u8(): number {
    this.need(1)
    return this.buf.readUInt8(this.pos++)
  }

  u16(): number {
    this.need(2)
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }

  u32(): number {
    this.need(4)
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  bytes(n: number): Buffer {
    this.need(n)
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }

  /** A name at the current position, following compression pointers (bounded, so a loop cannot hang us). */
  name(): string {
    const labels: string[] = []
    let pos = this.pos
    let jumped = false
    for (let hops = 0; ; hops++) {
      if (hops > 127) throw new Error('DNS name has too many labels or a pointer loop')
      if (pos >= this.buf.length) throw new Error('DNS name runs past the message')
      const len = this.buf[pos]
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new Error('DNS name pointer runs past the message')
        if (!jumped) this.pos = pos + 2
        jumped = true
        pos = ((len & 0x3f) << 8) | this.buf[pos + 1]
        continue
      }
      if ((len & 0xc0) !== 0) throw new Error(`DNS label type 0x${len.toString(16)} is not supported`)
      if (len === 0) {
        if (!jumped) this.pos = pos + 1
        break
      }
      if (pos + 1 + len > this.buf.length) throw new Error('DNS label runs past the message')
      labels.push(this.buf.toString('latin1', pos + 1, pos + 1 + len))
      pos += 1 + len
    }
    return labels.length === 0 ? '.' : `${labels.join('.')}.`
  }
}

function decodeRData(r: Reader, type: number, rdlength: number): RData {
  const end = r.pos + rdlength
  r.need(rdlength)
  let data: RData
  switch (type) {
    case TYPE.A:
      if (rdlength !== 4) throw new Error('A record rdata is not 4 bytes')
      data = [...r.bytes(4)].join('.')
      break
    case TYPE.AAAA: {
      if (rdlength !== 16) throw new Error('AAAA record rdata is not 16 bytes')
      const b = r.bytes(16)
      const groups: string[] = []
      for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16))
      data = compressIPv6(groups)
      break
    }
    case TYPE.NS:
    case TYPE.CNAME:
      data = r.name()
      break
    case TYPE.SOA:
      data = {mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32()}
      break
    case TYPE.TXT: {
      const strings: string[] = []
      while (r.pos < end) {
        const len = r.u8()
        strings.push(r.bytes(len).toString('utf8'))
      }
      data = strings
      break
    }
    default:
      data = Buffer.from(r.bytes(rdlength))
  }
  if (r.pos !== end) throw new Error(`${typeName(type)} rdata length ${rdlength} does not match its content`)
  return data
}

function compressIPv6(groups: string[]): string {
  // The longest run of two or more zero groups becomes "::" (RFC 5952), so results compare as written.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  if (best < 0) return groups.join(':')
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
}

function decodeRecord(r: Reader): ResourceRecord {
  const name = r.name()
  const type = r.u16()
  const klass = r.u16()
  const ttl = r.u32()
  const rdlength = r.u16()
  return {name, type, class: klass, ttl, data: decodeRData(r, type, rdlength)}
}

export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf)
  const id = r.u16()
  const flags = r.u16()
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()]
  const questions: Question[] = []
  for (let i = 0; i < counts[0]; i++) questions.push({name: r.name(), type: r.u16(), class: r.u16()})
  const section = (n: number): ResourceRecord[] => Array.from({length: n}, () => decodeRecord(r))
  return {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: section(counts[1]),
    authorities: section(counts[2]),
    additionals: section(counts[3]),
  }
}

/** The header and first question only: what a server needs to answer even when the rest will not parse. */
export function peekQuery(buf: Buffer): {id: number; flags: number; question?: Question; questionEnd: number} {
  const r = new Reader(buf)
  const id = r.u16()
  const flags = r.u16()
  const qdcount = r.u16()
  r.pos = 12
  if (qdcount < 1) return {id, flags, questionEnd: 12}
  const question = {name: r.name(), type: r.u16(), class: r.u16()}
  return {id, flags, question, questionEnd: r.pos}
}

// ---------------------------------------------------------------- encoding

function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '')
  if (trimmed === '') return Buffer.from([0])
  const parts: Buffer[] = []
  for (const label of trimmed.split('.')) {
    const b = Buffer.from(label, 'latin1')
    if (b.length === 0 || b.length > 63) throw new Error(`DNS label "${label}" in "${name}" must be 1–63 bytes`)
    parts.push(Buffer.from([b.length]), b)
  }
  parts.push(Buffer.from([0]))
  const out = Buffer.concat(parts)
  if (out.length > 255) throw new Error(`DNS name "${name}" is longer than 255 bytes`)
  return out
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}

function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address)) throw new Error(`"${address}" is not an IPv6 address`)
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined]
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  const b = Buffer.alloc(16)
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2))
  return b
}

function encodeRData(rr: ResourceRecord): Buffer {
  const d = rr.data
  if (Buffer.isBuffer(d)) return d
  switch (rr.type) {
    case TYPE.A:
      if (typeof d !== 'string' || !isIPv4(d)) throw new Error(`A record data must be an IPv4 address, got ${String(d)}`)
      return Buffer.from(d.split('.').map(Number))
    case TYPE.AAAA:
      return ipv6Bytes(d as string)
    case TYPE.NS:
    case TYPE.CNAME:
      return encodeName(d as string)
    case TYPE.SOA: {
      const s = d as Soa
      return Buffer.concat([encodeName(s.mname), encodeName(s.rname), u32(s.serial), u32(s.refresh), u32(s.retry), u32(s.expire), u32(s.minimum)])
    }
    case TYPE.TXT:
      return Buffer.concat(
        (d as string[]).flatMap((s) => {
          const b = Buffer.from(s, 'utf8')
          if (b.length > 255) throw new Error('a TXT character-string is at most 255 bytes')
          return [Buffer.from([b.length]), b]
        }),
      )
    default:
      throw new Error(`cannot encode ${typeName(rr.type)} data that is not raw bytes`)
  }
}

function encodeRecord(rr: ResourceRecord): Buffer {
  const rdata = encodeRData(rr)
  return Buffer.concat([encodeName(rr.name), u16(rr.type), u16(rr.class), u32(rr.ttl), u16(rdata.length), rdata])
}

export function encodeMessage(m: DnsMessage): Buffer {
  const flags =
    (m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x0400 : 0) | (m.tc ? 0x0200 : 0) | (m.rd ? 0x0100 : 0) | (m.ra ? 0x0080 : 0) | (m.rcode & 0xf)
  return Buffer.concat([
    u16(m.id),
    u16(flags),
    u16(m.questions.length),
    u16(m.answers.length),
    u16(m.authorities.length),
    u16(m.additionals.length),
    ...m.questions.map((q) => Buffer.concat([encodeName(q.name), u16(q.type), u16(q.class)])),
    ...m.answers.map(encodeRecord),
    ...m.authorities.map(encodeRecord),
    ...m.additionals.map(encodeRecord),
  ])
}

export function buildQuery(name: string, type: number, options: {id?: number; rd?: boolean} = {}): Buffer {
  return encodeMessage({
    id: options.id ?? Math.floor(Math.random() * 0x10000),
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: options.rd ?? true,
    ra: false,
    rcode: 0,
    questions: [{name, type, class: CLASS_IN}],
    answers: [],
    authorities: [],
    additionals: [],
  })
}

// ---------------------------------------------------------------- client

/** Splits "host:port" / "[v6]:port" (as lego and Traefik write resolvers). */
export function splitHostPort(hostPort: string): {host: string; port: number} {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(hostPort) ?? /^([^:]+):(\d+)$/.exec(hostPort)
  if (!m) throw new Error(`"${hostPort}" is not host:port`)
  return {host: m[1], port: Number(m[2])}
}

export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
}

/** Sends raw query bytes over UDP and resolves with the reply bytes whose id matches (undefined on timeout). */
export function exchangeUdp(query: Buffer, host: string, port: number, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
    const id = query.readUInt16BE(0)
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer)
      socket.close()
      resolve(reply)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    socket.on('error', () => done(undefined))
    socket.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(msg)
    })
    socket.send(query, port, host)
  })
}

/** The same over TCP, with RFC 1035's two-byte length prefix. */
export function exchangeTcp(query: Buffer, host: string, port: number, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0)
    const socket = tcpConnect({host, port})
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(reply)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    socket.on('error', () => done(undefined))
    socket.on('connect', () => socket.write(Buffer.concat([u16(query.length), query])))
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)))
    })
  })
}

/** One query to `server` ("host:port"); throws on timeout. For tests and readiness probes. */
export async function queryDns(
  server: string,
  name: string,
  type: number,
  options: {tcp?: boolean; rd?: boolean; timeoutMs?: number} = {},
): Promise<DnsMessage> {
  const {host, port} = splitHostPort(server)
  const query = buildQuery(name, type, {rd: options.rd})
  const reply = await (options.tcp ? exchangeTcp : exchangeUdp)(query, host, port, options.timeoutMs)
  if (!reply) throw new Error(`no DNS answer from ${server} (${options.tcp ? 'TCP' : 'UDP'}) for ${name} ${typeName(type)}`)
  return decodeMessage(reply)
}
