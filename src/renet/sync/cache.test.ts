import {mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {SYNC_CACHE_FILE} from './tree.js'
import {buildManifest} from './manifest.js'

describe('renet sync manifest with its hash cache', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-sync-cache-'))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  function age(path: string) {
    const old = new Date(Date.now() - 60_000)
    utimesSync(path, old, old)
  }

  it('hashes a file once, then trusts the cache while its stat is unchanged', async () => {
    mkdirSync(join(root, 'www'))
    writeFileSync(join(root, 'www/index.html'), 'v1')
    const first = await buildManifest(root)
    expect(first.stats).toMatchObject({files: 1, hashed: 1, cached: 0})
    expect(first.entries['www/index.html']).toMatchObject({type: 'file', size: 2})
    // Still within the racy window (ctime just now): not stored, so hashed again.
    expect((await buildManifest(root)).stats).toMatchObject({hashed: 1, cached: 0})
  })

  it('stores entries older than the racy window and rehashes a file whose content changed', async () => {
    writeFileSync(join(root, 'a'), 'one')
    age(join(root, 'a'))
    const realNow = Date.now
    try {
      // The cache compares against ctime, which utimes cannot move back: pretend the scan runs later.
      Date.now = () => realNow() + 10_000
      await buildManifest(root)
      expect(Object.keys(JSON.parse(readFileSync(join(root, SYNC_CACHE_FILE), 'utf8')).entries)).toEqual(['a'])
      const cached = await buildManifest(root)
      expect(cached.stats).toMatchObject({hashed: 0, cached: 1})
      expect(cached.entries.a).toMatchObject({size: 3})

      // Same size, mtime put back: ctime still moves, so the new content is seen.
      writeFileSync(join(root, 'a'), 'two')
      age(join(root, 'a'))
      const changed = await buildManifest(root)
      expect(changed.stats).toMatchObject({hashed: 1, cached: 0})
      expect(changed.entries.a).not.toEqual(cached.entries.a)
    } finally {
      Date.now = realNow
    }
  })

  it('ignores a broken cache file and never lists it', async () => {
    writeFileSync(join(root, SYNC_CACHE_FILE), '{not json')
    writeFileSync(join(root, 'b'), 'bee')
    const manifest = await buildManifest(root)
    expect(Object.keys(manifest.entries)).toEqual(['b'])
    expect(manifest.excluded).toEqual([SYNC_CACHE_FILE])
  })

  it('describes a folder that does not exist yet as empty', async () => {
    expect(await buildManifest(join(root, 'nothing-here'))).toMatchObject({exists: false, entries: {}, excluded: []})
  })
})
