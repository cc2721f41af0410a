/**
 * `renet probe --json SPEC`: checks run ON the server, in parallel, each with a short timeout. The spec and the
 * results are plain JSON so the CLI builds the spec as data and reads the answer back over one SSH exec.
 */

export interface TcpCheck {
  id: string
  kind: 'tcp'
  host: string
  port: number
}

export interface HttpCheck {
  id: string
  kind: 'http'
  /** http://host:port/path; with socketPath the host part only fills the Host header. */
  url: string
  /** A unix socket to speak HTTP over (Docker's API). */
  socketPath?: string
  /** Bytes of body kept (default 256 KiB); a longer body is cut and marked truncated. */
  maxBody?: number
}

export interface TlsCheck {
  id: string
  kind: 'tls'
  /** Address to connect to (IPv4, IPv6 or name). */
  host: string
  port: number
  /** The name sent as SNI and checked against the certificate. */
  servername: string
}

export interface UdpCheck {
  id: string
  kind: 'udp'
  host: string
  port: number
  /** What to send: a STUN binding request, a DNS query for `.`, or hex bytes. */
  payload: 'stun' | 'dns' | {hex: string}
}

export type ProbeCheck = TcpCheck | HttpCheck | TlsCheck | UdpCheck

export interface ProbeSpec {
  /** Per check (default 1500 ms). */
  timeoutMs?: number
  checks: ProbeCheck[]
}

/** refused = something answered "nothing listens here" (RST / ICMP port unreachable); timeout = no answer. */
export type Outcome = 'ok' | 'refused' | 'timeout' | 'error'

export interface CertInfo {
  subjectCN: string
  issuerCN: string
  issuerO: string
  notBefore: string
  notAfter: string
  sans: string[]
  selfSigned: boolean
  /** Traefik's generated fallback certificate ("TRAEFIK DEFAULT CERT"): no real certificate for this name. */
  traefikDefault: boolean
  /** The certificate covers the servername (exact or wildcard SAN). */
  matchesName: boolean
  fingerprint256: string
}

interface ResultBase {
  id: string
  outcome: Outcome
  durationMs: number
  /** Error code or message when outcome is not ok (ECONNREFUSED, ETIMEDOUT, …). */
  error?: string
}

export interface TcpResult extends ResultBase {
  kind: 'tcp'
}

export interface HttpResult extends ResultBase {
  kind: 'http'
  status?: number
  body?: string
  truncated?: boolean
}

export interface TlsResult extends ResultBase {
  kind: 'tls'
  cert?: CertInfo
  /**
   * The certificates served, as base64 DER: the leaf, then each issuer the server sent, in issuer order. A
   * self-signed root is left out (the CLI checks against the roots it trusts, not the ones served), and so is
   * Traefik's default certificate's chain: about 1.5–2 KB per certificate, so the report stays small.
   */
  chain?: string[]
}

export interface UdpResult extends ResultBase {
  kind: 'udp'
  /** Bytes of the reply, hex; absent when nothing came back. */
  replyHex?: string
  /** STUN only: the XOR-MAPPED-ADDRESS of the reply, "ip:port". */
  mappedAddress?: string
}

export type ProbeResult = TcpResult | HttpResult | TlsResult | UdpResult

export interface ProbeReport {
  version: string
  results: ProbeResult[]
}
