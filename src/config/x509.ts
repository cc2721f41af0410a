/**
 * Certificates of a private ACME CA, parsed on demand. node:crypto brings some fifteen internal modules with it
 * (about 2 ms), and every command that reads the context file would pay that for the few machines with such a CA.
 */
import type {X509Certificate} from 'node:crypto'
import {createRequire} from 'node:module'

const requireBuiltin = createRequire(import.meta.url)

/** Throws Node's own error when `pem` is not one certificate. */
export function parseCertificate(pem: string): X509Certificate {
  const crypto = requireBuiltin('node:crypto') as typeof import('node:crypto')
  return new crypto.X509Certificate(pem)
}
