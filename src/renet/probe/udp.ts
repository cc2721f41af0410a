import {randomBytes} from 'node:crypto'
import {createSocket} from 'node:dgram'
import {isIP} from 'node:net'

import {outcomeOf} from './tcp.js'
import type {UdpCheck, UdpResult} from './types.js'

const STUN_MAGIC = 0x21_12_a4_42
const XOR_MAPPED_ADDRESS = 0x00_20

/** RFC 5389 binding request: type 0x0001, no attributes, magic cookie, 12 random bytes of transaction id. */
export function stunBindingRequest(): Buffer {
  const msg = Buffer.alloc(20)
  msg.writeUInt16BE(0x00_01, 0)
  msg.writeUInt16BE(0, 2)
  msg.writeUInt32BE(STUN_MAGIC, 4)
  randomBytes(12).copy(msg, 8)
  return msg
}

/** A DNS query for the root's NS records: any DNS server answers it (even with REFUSED). */
export function dnsRootQuery(): Buffer {
  const header = Buffer.alloc(12)
  randomBytes(2).copy(header, 0)
  header.writeUInt16BE(0x01_00, 2) // recursion desired
  header.writeUInt16BE(1, 4) // one question
  return Buffer.concat([header, Buffer.from([0x00, 0x00, 0x02, 0x00, 0x01])])
}

/** The XOR-MAPPED-ADDRESS of a STUN success response, "ip:port" (IPv4 only), or undefined. */
export function stunMappedAddress(reply: Buffer): string | undefined {
  if (reply.length < 20 || reply.readUInt32BE(4) !== STUN_MAGIC) return undefined
  let offset = 20
  const end = Math.min(reply.length, 20 + reply.readUInt16BE(2))
  while (offset + 4 <= end) {
    const type = reply.readUInt16BE(offset)
    const length = reply.readUInt16BE(offset + 2)
    const value = offset + 4
    if (type === XOR_MAPPED_ADDRESS && length >= 8 && reply[value + 1] === 0x01) {
      const port = reply.readUInt16BE(value + 2) ^ (STUN_MAGIC >>> 16)
      const ip = (reply.readUInt32BE(value + 4) ^ STUN_MAGIC) >>> 0
      return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`
    }
    offset = value + length + ((4 - (length % 4)) % 4)
  }
  return undefined
}

function payloadOf(check: UdpCheck): Buffer {
  if (check.payload === 'stun') return stunBindingRequest()
  if (check.payload === 'dns') return dnsRootQuery()
  return Buffer.from(check.payload.hex, 'hex')
}

/**
 * UDP has no handshake: a reply is "ok", an ICMP port-unreachable (seen on a connected socket as ECONNREFUSED)
 * is "refused", silence is "timeout" — which for UDP only means nothing answered this payload.
 */
export function probeUdp(check: UdpCheck, timeoutMs: number): Promise<UdpResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    const socket = createSocket(isIP(check.host) === 6 ? 'udp6' : 'udp4')
    let done = false
    const finish = (result: Omit<UdpResult, 'id' | 'kind' | 'durationMs'>): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.close()
      resolve({id: check.id, kind: 'udp', durationMs: Math.round(performance.now() - started), ...result})
    }

    const timer = setTimeout(() => finish({outcome: 'timeout', error: 'no reply'}), timeoutMs)
    socket.once('error', (error: NodeJS.ErrnoException) => finish({outcome: outcomeOf(error), error: error.code ?? error.message}))
    socket.once('message', (reply: Buffer) => {
      const mapped = check.payload === 'stun' ? stunMappedAddress(reply) : undefined
      finish({outcome: 'ok', replyHex: reply.subarray(0, 512).toString('hex'), ...(mapped === undefined ? {} : {mappedAddress: mapped})})
    })
    socket.connect(check.port, check.host, () => {
      socket.send(payloadOf(check), (error) => {
        if (error) finish({outcome: outcomeOf(error as NodeJS.ErrnoException), error: (error as NodeJS.ErrnoException).code ?? error.message})
      })
    })
  })
}
