import {createRequire} from 'node:module'

import {UsageError} from '../errors.js'

/** An SSH public key: its algorithm name and the wire-format blob (what OpenSSH base64-encodes). */
export interface PublicKey {
  type: string
  blob: Buffer
}

/** The algorithm name at the start of a wire-format key blob ("ssh-ed25519", "ecdsa-sha2-nistp256", …). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return ''
  const len = blob.readUInt32BE(0)
  return len > 0 && len <= 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : ''
}

/** OpenSSH one-line form, "ssh-ed25519 AAAA…", as known_hosts and ssh-keyscan write it. */
export function toOpenSshLine(blob: Buffer): string {
  return `${keyTypeOf(blob)} ${blob.toString('base64')}`
}

// node:crypto is loaded on first use: the bundled CLI evaluates this module at start-up for every command.
let crypto: typeof import('node:crypto') | undefined

/** "SHA256:…" exactly as `ssh-keygen -lf` prints it (unpadded base64 of the blob's SHA-256). */
export function fingerprintOf(blob: Buffer): string {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
  return `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** Parses "TYPE BASE64 [comment]" and checks the blob really is a key of that type. */
export function parseOpenSshKey(line: string, field = '--host-key'): PublicKey {
  const [type, data] = line.trim().split(/\s+/)
  const fix = 'Give the key as one line, e.g. from the server: cat /etc/ssh/ssh_host_ed25519_key.pub'
  if (!type || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    throw new UsageError(`${field}: not an OpenSSH public key ("TYPE BASE64").`, {field, suggestion: fix})
  }
  const blob = Buffer.from(data, 'base64')
  if (keyTypeOf(blob) !== type) {
    throw new UsageError(`${field}: the key data does not hold a ${type} key.`, {field, suggestion: fix})
  }
  return {type, blob}
}

/** The host key algorithms to offer so that a server presents the pinned key and not another of its keys. */
export function hostKeyAlgorithmsFor(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]
}
