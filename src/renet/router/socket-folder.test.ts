import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {SOCKET_GONE_MS, type SocketChanges, SocketFolder} from './socket-folder.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-router-sockets-'))
})
afterEach(() => {
  vi.useRealTimers()
  rmSync(dir, {recursive: true, force: true})
})

function folder(): {sockets: SocketFolder; scans: SocketChanges[]; logs: string[]} {
  const scans: SocketChanges[] = []
  const logs: string[] = []
  const sockets = new SocketFolder({dir, rescanMs: 60_000, log: (event) => logs.push(event), onScan: (c) => scans.push(c)})
  return {sockets, scans, logs}
}

describe('the socket folder', () => {
  it('reports the first scan even when empty, then only daemon sockets with a valid network id, once', () => {
    const {sockets, scans, logs} = folder()
    expect(sockets.scanned).toBe(false)
    sockets.rescan()
    expect(sockets.scanned).toBe(true)
    expect(scans).toEqual([{added: [], removed: [], first: true}])
    writeFileSync(join(dir, 'docker-2816.sock'), '')
    writeFileSync(join(dir, 'docker-1.sock'), '')
    writeFileSync(join(dir, 'other.sock'), '')
    sockets.rescan()
    sockets.rescan()
    expect(scans.slice(1)).toEqual([
      {added: [{socket: join(dir, 'docker-2816.sock'), networkId: 2816}], removed: [], first: false},
      {added: [], removed: [], first: false},
    ])
    expect(logs).toEqual(['socket ignored'])
  })

  /** A folder that saw docker-2816.sock, then scanned again once it was unlinked; with fake timers. */
  function vanished(): ReturnType<typeof folder> {
    vi.useFakeTimers()
    const f = folder()
    writeFileSync(join(dir, 'docker-2816.sock'), '')
    f.sockets.rescan()
    rmSync(join(dir, 'docker-2816.sock'))
    f.sockets.rescan()
    return f
  }

  it('reports a socket gone only once it has been missing for a while (a restarting dockerd recreates it)', () => {
    const {sockets, scans} = vanished()
    expect(scans.at(-1)).toEqual({added: [], removed: [], first: false})
    vi.advanceTimersByTime(SOCKET_GONE_MS)
    expect(scans.at(-1)).toEqual({added: [], removed: [join(dir, 'docker-2816.sock')], first: false})
    sockets.stop()
  })

  it('keeps a socket that came back in time', () => {
    const {sockets, scans} = vanished()
    writeFileSync(join(dir, 'docker-2816.sock'), '')
    vi.advanceTimersByTime(SOCKET_GONE_MS)
    expect(scans.map((s) => s.removed).flat()).toEqual([])
    expect(scans.map((s) => s.added).flat()).toHaveLength(1)
    sockets.stop()
  })
})
