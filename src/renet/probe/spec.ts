import type {ProbeCheck, ProbeSpec} from './types.js'

export const DEFAULT_TIMEOUT_MS = 1500
export const MAX_TIMEOUT_MS = 10_000
export const MAX_CHECKS = 500

export class SpecError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key]
  if (typeof v !== 'string' || v === '') throw new SpecError(`${where}.${key} must be a non-empty string`)
  return v
}

function port(o: Record<string, unknown>, where: string): number {
  const v = o.port
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65_535) throw new SpecError(`${where}.port must be 1..65535`)
  return v
}

function check(raw: unknown, where: string): ProbeCheck {
  if (!isRecord(raw)) throw new SpecError(`${where} must be an object`)
  const id = str(raw, 'id', where)
  switch (raw.kind) {
    case 'tcp': {
      return {id, kind: 'tcp', host: str(raw, 'host', where), port: port(raw, where)}
    }

    case 'http': {
      const url = str(raw, 'url', where)
      if (!url.startsWith('http://')) throw new SpecError(`${where}.url must be an http:// URL`)
      const socketPath = raw.socketPath === undefined ? undefined : str(raw, 'socketPath', where)
      const maxBody = raw.maxBody
      if (maxBody !== undefined && (typeof maxBody !== 'number' || !Number.isInteger(maxBody) || maxBody < 0)) {
        throw new SpecError(`${where}.maxBody must be a whole number ≥ 0`)
      }
      return {id, kind: 'http', url, ...(socketPath === undefined ? {} : {socketPath}), ...(maxBody === undefined ? {} : {maxBody})}
    }

    case 'tls': {
      return {id, kind: 'tls', host: str(raw, 'host', where), port: port(raw, where), servername: str(raw, 'servername', where)}
    }

    case 'udp': {
      const payload = raw.payload
      if (payload === 'stun' || payload === 'dns') return {id, kind: 'udp', host: str(raw, 'host', where), port: port(raw, where), payload}
      if (isRecord(payload) && typeof payload.hex === 'string' && /^([0-9a-f]{2})+$/i.test(payload.hex)) {
        return {id, kind: 'udp', host: str(raw, 'host', where), port: port(raw, where), payload: {hex: payload.hex}}
      }
      throw new SpecError(`${where}.payload must be "stun", "dns" or {"hex": "…"}`)
    }

    default: {
      throw new SpecError(`${where}.kind must be tcp, http, tls or udp`)
    }
  }
}

/** Validates a spec read from the command line; every message names the offending key. */
export function parseSpec(text: string): ProbeSpec {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new SpecError(`spec is not JSON: ${(error as Error).message}`)
  }

  if (!isRecord(raw)) throw new SpecError('spec must be an object {timeoutMs?, checks: [...]}')
  const {timeoutMs, checks} = raw
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS)) {
    throw new SpecError(`timeoutMs must be 1..${MAX_TIMEOUT_MS}`)
  }
  if (!Array.isArray(checks)) throw new SpecError('checks must be an array')
  if (checks.length > MAX_CHECKS) throw new SpecError(`at most ${MAX_CHECKS} checks`)
  const parsed = checks.map((c, i) => check(c, `checks[${i}]`))
  const ids = new Set<string>()
  for (const c of parsed) {
    if (ids.has(c.id)) throw new SpecError(`duplicate check id ${c.id}`)
    ids.add(c.id)
  }
  return {...(timeoutMs === undefined ? {} : {timeoutMs}), checks: parsed}
}
