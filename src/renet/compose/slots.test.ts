import fc from 'fast-check'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError, UsageError} from '../../errors.js'
import {MAX_SLOTS} from '../../net/network.js'
import {allocateSlots, ensureSlots, parseSlotFile, renderSlotFile, SLOT_FILE} from './slots.js'

describe('allocateSlots', () => {
  it('gives new services the lowest free slots in name order', () => {
    const {slots, added} = allocateSlots(new Map(), ['webapp', 'postgres', 'api'])
    expect([...slots]).toEqual([
      ['api', 0],
      ['postgres', 1],
      ['webapp', 2],
    ])
    expect(added).toEqual(['api', 'postgres', 'webapp'])
  })

  it('keeps existing slots and fills holes before going higher', () => {
    const existing = new Map([
      ['webapp', 0],
      ['postgres', 2],
    ])
    const {slots, added} = allocateSlots(existing, ['webapp', 'redis', 'postgres', 'cache', 'zeta'])
    expect(Object.fromEntries(slots)).toEqual({webapp: 0, postgres: 2, cache: 1, redis: 3, zeta: 4})
    expect(added).toEqual(['cache', 'redis', 'zeta'])
  })

  it('keeps services that left the compose file, so their slot is not reused', () => {
    const {slots} = allocateSlots(new Map([['old', 0]]), ['new'])
    expect(Object.fromEntries(slots)).toEqual({old: 0, new: 1})
  })

  it('never moves an existing service and never gives two services one slot', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)
    fc.assert(
      fc.property(fc.uniqueArray(name, {maxLength: 30}), fc.uniqueArray(name, {maxLength: 30}), (first, second) => {
        const a = allocateSlots(new Map(), first).slots
        const b = allocateSlots(a, second).slots
        for (const [service, slot] of a) expect(b.get(service)).toBe(slot)
        expect(new Set(b.values()).size).toBe(b.size)
        for (const slot of b.values()) expect(slot).toBeLessThan(MAX_SLOTS)
      }),
    )
  })

  it('does not depend on the order services are listed in', () => {
    const one = allocateSlots(new Map(), ['c', 'a', 'b']).slots
    const two = allocateSlots(new Map(), ['b', 'c', 'a']).slots
    expect(Object.fromEntries(one)).toEqual(Object.fromEntries(two))
  })

  it('refuses more than 61 services', () => {
    const names = Array.from({length: 62}, (_, i) => `svc${String(i).padStart(2, '0')}`)
    expect(() => allocateSlots(new Map(), names.slice(0, 61))).not.toThrow()
    expect(() => allocateSlots(new Map(), names)).toThrow(UsageError)
    expect(() => allocateSlots(new Map(), names)).toThrow(/62 services; a repository has room for 61/)
  })
})

describe('the slot file', () => {
  it('rejects duplicate slots, bad slots and bad JSON with the file named', () => {
    expect(() => parseSlotFile('{"services":{"a":{"slot":1},"b":{"slot":1}}}', 'x/.rediacc.json')).toThrow(/'a' and 'b' both have slot 1/)
    expect(() => parseSlotFile('{"services":{"a":{"slot":61}}}', 'x/.rediacc.json')).toThrow(/services.a.slot must be a whole number from 0 to 60/)
    expect(() => parseSlotFile('{"services":{"a":{"slot":"0"}}}', 'f')).toThrow(ConfigError)
    expect(() => parseSlotFile('{"services":', 'x/.rediacc.json')).toThrow(/x\/.rediacc.json is not valid JSON/)
  })

  it('keeps other keys and per-service fields when rendering', () => {
    const {slots, data} = parseSlotFile('{"note":"kept","services":{"api":{"slot":3,"pinned":true}}}', 'f')
    const text = renderSlotFile(data, allocateSlots(slots, ['web']).slots)
    expect(JSON.parse(text)).toEqual({note: 'kept', services: {api: {slot: 3, pinned: true}, web: {slot: 0}}})
    expect(text.endsWith('}\n')).toBe(true)
  })
})

describe('ensureSlots', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-compose-slots-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('writes the file when services are added and leaves it alone otherwise', () => {
    const path = join(dir, SLOT_FILE)
    ensureSlots(dir, ['webapp', 'postgres'])
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({services: {postgres: {slot: 0}, webapp: {slot: 1}}})
    const before = statSync(path).mtimeMs
    writeFileSync(path, readFileSync(path)) // same content, new mtime we can compare against
    const touched = statSync(path).mtimeMs
    ensureSlots(dir, ['postgres', 'webapp'])
    expect(statSync(path).mtimeMs).toBe(touched)
    expect(touched).toBeGreaterThanOrEqual(before)

    const {slots, added} = ensureSlots(dir, ['webapp', 'api', 'postgres'])
    expect(added).toEqual(['api'])
    expect(Object.fromEntries(slots)).toEqual({postgres: 0, webapp: 1, api: 2})
    expect(readdirSync(dir).sort()).toEqual([SLOT_FILE]) // no temp or lock file left behind
  })

  it('writes nothing when nothing is known', () => {
    ensureSlots(dir, [])
    expect(existsSync(join(dir, SLOT_FILE))).toBe(false)
  })

  it('leaves a broken file as it is', () => {
    writeFileSync(join(dir, SLOT_FILE), '{oops')
    expect(() => ensureSlots(dir, ['a'])).toThrow(ConfigError)
    expect(readFileSync(join(dir, SLOT_FILE), 'utf8')).toBe('{oops')
    expect(existsSync(join(dir, `${SLOT_FILE}.lock`))).toBe(false)
  })
})
