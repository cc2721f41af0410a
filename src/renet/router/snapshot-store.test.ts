import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {readSnapshot, writeSnapshot} from './snapshot.js'
import {type SnapshotSource, SnapshotStore} from './snapshot-store.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-router-snapshot-store-'))
})
afterEach(() => {
  vi.useRealTimers()
  rmSync(dir, {recursive: true, force: true})
})

const c = {id: 'abc', name: 'web', labels: {'rediacc.network_id': '2816'}, created: 1, health: ''}

describe('the snapshot store', () => {
  it('gives a daemon the containers saved for its socket and network id', () => {
    writeSnapshot(dir, new Map([['/s/docker-2816.sock', {networkId: 2816, containers: [c]}]]))
    const store = new SnapshotStore(dir, () => [], () => {})
    expect(store.initial('/s/docker-2816.sock', 2816)).toEqual([c])
    expect(store.initial('/s/docker-2816.sock', 2880)).toBeUndefined()
    expect(store.initial('/s/docker-2880.sock', 2880)).toBeUndefined()
  })

  it('saves a changed set after a delay, once; a stop saves what is pending', () => {
    vi.useFakeTimers()
    const daemon: SnapshotSource = {socket: '/s/docker-2816.sock', networkId: 2816, containers: [c], version: 1}
    const store = new SnapshotStore(dir, () => [daemon], () => {})
    store.schedule()
    expect(readSnapshot(dir).size).toBe(0)
    vi.advanceTimersByTime(2000)
    expect(readSnapshot(dir).get(daemon.socket)).toEqual({networkId: 2816, containers: [c]})

    // Unchanged: nothing scheduled, so nothing to flush.
    rmSync(join(dir, 'containers.json'))
    store.schedule()
    store.flush()
    expect(readSnapshot(dir).size).toBe(0)

    // Changed, then stopped before the delay: saved at once.
    const changed = {...daemon, containers: [], version: 2}
    const later = new SnapshotStore(dir, () => [changed], () => {})
    later.schedule()
    later.flush()
    expect(readSnapshot(dir).get(daemon.socket)).toEqual({networkId: 2816, containers: []})
  })

  it('logs a save that fails instead of throwing', () => {
    vi.useFakeTimers()
    const logs: string[] = []
    // A state folder below a file cannot be made (ENOTDIR).
    writeFileSync(join(dir, 'file'), '')
    const store = new SnapshotStore(join(dir, 'file', 'state'), () => [{socket: 's', networkId: 2816, containers: [], version: 1}], (event) => logs.push(event))
    store.schedule()
    store.flush()
    expect(logs).toEqual(['snapshot not saved'])
  })
})
