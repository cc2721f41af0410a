/**
 * Network arithmetic shared by the CLI and renet (see ARCHITECTURE.md, "Network arithmetic").
 * A repository owns a /26 of 127.0.0.0/8 starting at its network id; service slot s lives at id + s + 2.
 */

export const FIRST_NETWORK_ID = 2816
export const NETWORK_ID_STEP = 64
export const MAX_SLOTS = 61 // slots 0..60: id+2 .. id+62 stay inside the /26 and below its broadcast address
const LAST_NETWORK_ID = 0xff_ff_ff - NETWORK_ID_STEP + 1

/** The n-th network id (n = 0, 1, 2, …). */
export function networkIdAt(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`network index must be a whole number ≥ 0, got ${n}`)
  const id = FIRST_NETWORK_ID + NETWORK_ID_STEP * n
  if (id > LAST_NETWORK_ID) throw new RangeError(`network index ${n} is past the end of 127.0.0.0/8`)
  return id
}

export function isValidNetworkId(id: number): boolean {
  return (
    Number.isInteger(id) &&
    id >= FIRST_NETWORK_ID &&
    id <= LAST_NETWORK_ID &&
    (id - FIRST_NETWORK_ID) % NETWORK_ID_STEP === 0
  )
}

/** The lowest network id not in `taken`. */
export function nextFreeNetworkId(taken: Iterable<number>): number {
  const used = new Set(taken)
  for (let n = 0; ; n++) {
    const id = networkIdAt(n)
    if (!used.has(id)) return id
  }
}

export function loopbackIp(value: number): string {
  return `127.${(value >> 16) & 255}.${(value >> 8) & 255}.${value & 255}`
}

/** The loopback IP of service slot `slot` in the repository with network id `networkId`. */
export function serviceIp(networkId: number, slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) {
    throw new RangeError(`service slot must be 0..${MAX_SLOTS - 1}, got ${slot}`)
  }
  return loopbackIp(networkId + slot + 2)
}

/** The /26 of a network id in CIDR notation, e.g. 127.0.11.0/26. */
export function networkCidr(networkId: number): string {
  return `${loopbackIp(networkId)}/26`
}

/** `listmonk-app` → `LISTMONK_APP`: the prefix of the `{SERVICE}_IP` variable. Null when it can't be one. */
export function serviceEnvPrefix(service: string): string | null {
  const name = service.toUpperCase().replace(/[-.]/g, '_')
  return /^[A-Z_][A-Z0-9_]*$/.test(name) ? name : null
}

export function serviceIpVar(service: string): string | null {
  const prefix = serviceEnvPrefix(service)
  return prefix === null ? null : `${prefix}_IP`
}
