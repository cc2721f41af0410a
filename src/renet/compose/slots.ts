/**
 * Service slots: `.rediacc.json` at the repository root maps each service to a slot (0–60), and the slot
 * gives the service its IP. A service keeps its slot for as long as the file lives, even when it leaves the
 * compose file for a while, so an IP never silently moves to another service.
 */
import {closeSync, existsSync, openSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {writeFileAtomic} from '../atomic-file.js'
import {ConfigError, ConflictError, UsageError} from '../../errors.js'
import {MAX_SLOTS} from '../../net/network.js'
import {isPlainObject} from './compose-file.js'

export const SLOT_FILE = '.rediacc.json'

/** Service name → slot, in the order the file lists them. */
export type Slots = ReadonlyMap<string, number>

export interface SlotAllocation {
  slots: Map<string, number>
  /** Services that got a slot now, in the order they got it. */
  added: string[]
}

/**
 * Gives every name in `names` a slot: existing ones keep theirs, new ones take the lowest free slots in name
 * order (so the result does not depend on the order services appear in compose files). Pure.
 */
export function allocateSlots(existing: Slots, names: Iterable<string>): SlotAllocation {
  const slots = new Map(existing)
  const used = new Set(slots.values())
  const added = [...new Set(names)].filter((name) => !slots.has(name)).sort()
  if (slots.size + added.length > MAX_SLOTS) {
    throw new UsageError(
      `the repository would have ${slots.size + added.length} services; a repository has room for ${MAX_SLOTS}`,
      {
        field: 'services',
        suggestion: `Split the services over more repositories, or remove entries of services that no longer exist from ${SLOT_FILE}.`,
      },
    )
  }

  let next = 0
  for (const name of added) {
    while (used.has(next)) next++
    slots.set(name, next)
    used.add(next)
  }

  return {slots, added}
}

/** Reads and checks the slot map out of the file's text (other top-level keys are left alone). */
export function parseSlotFile(text: string, path: string): {slots: Map<string, number>; data: Record<string, unknown>} {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, {
      suggestion: `Repair it, or delete it to let every service take a new slot (their IPs may change).`,
    })
  }

  if (!isPlainObject(data)) throw new ConfigError(`${path} must hold a JSON object`, {suggestion: 'Expected {"services": {"api": {"slot": 0}}}.'})
  const services = data.services ?? {}
  if (!isPlainObject(services)) throw new ConfigError(`${path}: "services" must be an object`, {suggestion: 'Expected {"services": {"api": {"slot": 0}}}.'})
  const slots = new Map<string, number>()
  const owner = new Map<number, string>()
  for (const [name, entry] of Object.entries(services)) {
    const slot = isPlainObject(entry) ? entry.slot : undefined
    if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) {
      throw new ConfigError(`${path}: services.${name}.slot must be a whole number from 0 to ${MAX_SLOTS - 1}`, {
        suggestion: `Fix or remove the entry for '${name}'.`,
      })
    }

    const other = owner.get(slot)
    if (other !== undefined) {
      throw new ConfigError(`${path}: services '${other}' and '${name}' both have slot ${slot}`, {
        suggestion: `Give one of them a free slot (0–${MAX_SLOTS - 1}); they would share an IP otherwise.`,
      })
    }

    owner.set(slot, name)
    slots.set(name, slot)
  }

  return {slots, data}
}

export function renderSlotFile(data: Record<string, unknown>, slots: Slots): string {
  const previous = isPlainObject(data.services) ? data.services : {}
  const services: Record<string, unknown> = {}
  for (const [name, slot] of slots) {
    const entry = previous[name]
    services[name] = {...(isPlainObject(entry) ? entry : {}), slot}
  }

  return `${JSON.stringify({...data, services}, null, 2)}\n`
}

const LOCK_WAIT_MS = 15_000
const LOCK_STALE_MS = 60_000

/** Runs FN holding `<file>.lock`, so two runs of renet (a Rediaccfile may start several) never lose a slot. */
function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0
      if (age > LOCK_STALE_MS) rmSync(lock, {force: true})
      else if (Date.now() > deadline) {
        throw new ConflictError(`${lock} has been held for more than ${LOCK_WAIT_MS / 1000} s`, {
          suggestion: `Another renet is assigning slots in this repository; if none is running, delete ${lock}.`,
        })
      } else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25)
    }
  }

  try {
    return fn()
  } finally {
    rmSync(lock, {force: true})
  }
}

/**
 * Gives the services their slots in REPO/.rediacc.json, writing the file (atomically) only when a service was
 * added. Returns every slot the repository has, including services not named here.
 */
export function ensureSlots(repoPath: string, names: Iterable<string>): SlotAllocation {
  const path = join(repoPath, SLOT_FILE)
  return withLock(path, () => {
    const {slots, data} = existsSync(path) ? parseSlotFile(readFileSync(path, 'utf8'), path) : {slots: new Map<string, number>(), data: {}}
    const allocation = allocateSlots(slots, names)
    if (allocation.added.length > 0) writeFileAtomic(path, renderSlotFile(data, allocation.slots), 0o644)
    return allocation
  })
}
