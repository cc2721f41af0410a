import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {RemoteError} from '../errors.js'
import {readComposeSources, type SyncExec, syncRepository} from './sync.js'

describe('syncRepository', () => {

  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-sync-repo-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('reads the default compose file of the root and of each first-level folder, not of hidden or deeper ones', async () => {
    writeFileSync(join(dir, 'compose.yaml'), 'root')
    writeFileSync(join(dir, 'docker-compose.yml'), 'preferred')
    for (const folder of ['api', '.hidden', 'web/deep']) mkdirSync(join(dir, folder), {recursive: true})
    writeFileSync(join(dir, 'api', 'compose.yml'), 'api')
    writeFileSync(join(dir, '.hidden', 'compose.yml'), 'hidden')
    writeFileSync(join(dir, 'web', 'deep', 'compose.yml'), 'deep')
    expect(await readComposeSources(dir)).toEqual([
      {path: 'docker-compose.yml', text: 'preferred'},
      {path: 'api/compose.yml', text: 'api'},
    ])
  })

  it('turns a failing manifest into a RemoteError with the server output, before anything is sent', async () => {
    writeFileSync(join(dir, 'Rediaccfile'), 'up() { :; }\n')
    const calls: string[][] = []
    const exec: SyncExec = async (argv) => {
      calls.push(argv)
      return {code: 127, stdout: '', stderr: 'bash: renet: command not found\n'}
    }

    const error = await syncRepository({localDir: dir, remoteDir: '/mnt/rediacc/repos/app', exec}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({message: 'could not list the repository folder on the server', details: {exitCode: 127, stderr: 'bash: renet: command not found\n'}})
    expect(calls).toEqual([['renet', 'sync', 'manifest', '--path', '/mnt/rediacc/repos/app', '--exclude', '.git', '--exclude', 'node_modules']])
  })
})
