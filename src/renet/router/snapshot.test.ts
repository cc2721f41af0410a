import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readSnapshot, writeSnapshot} from './snapshot.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-router-snapshot-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('containers snapshot', () => {
  it('reads back what it wrote, mode 0600', () => {
    const c = {id: 'abc', name: 'web', labels: {'rediacc.network_id': '2816'}, created: 1_700_000_000.123_456, health: ''}
    writeSnapshot(dir, new Map([['/s/docker-2816.sock', {networkId: 2816, containers: [c]}]]))
    expect(readSnapshot(dir)).toEqual(new Map([['/s/docker-2816.sock', {networkId: 2816, containers: [c]}]]))
    expect(statSync(join(dir, 'containers.json')).mode & 0o777).toBe(0o600)
  })

  it('starts empty from a missing or damaged file and drops malformed entries', () => {
    expect(readSnapshot(dir).size).toBe(0)
    writeFileSync(join(dir, 'containers.json'), '{not json')
    expect(readSnapshot(dir).size).toBe(0)
    writeFileSync(
      join(dir, 'containers.json'),
      JSON.stringify({daemons: {a: {networkId: 'x', containers: []}, b: {networkId: 2880, containers: [{id: 1}, {id: 'ok', name: 'n', labels: {}, created: 5}]}}}),
    )
    expect(readSnapshot(dir)).toEqual(new Map([['b', {networkId: 2880, containers: [{id: 'ok', name: 'n', labels: {}, created: 5, health: ''}]}]]))
  })
})
