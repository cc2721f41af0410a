import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dockerPing} from './docker-api.js'
import {DOCKER_CLI, PrivateDockerd, removeDockerdState, startPrivateDockerd} from './dockerd.js'
import {BUSYBOX_IMAGE, importBusyboxImage} from './images.js'

describe('private dockerd for tests', () => {
  let root: string
  let dockerd: PrivateDockerd

  beforeAll(async () => {
    root = mkdtempSync('/tmp/rdc-dockerd-test-')
    dockerd = await startPrivateDockerd({root})
  })

  afterAll(async () => {
    await dockerd?.stop()
    removeDockerdState(root)
  })

  it('runs a host-network container from the local busybox image', () => {
    importBusyboxImage(dockerd.host)
    const out = execFileSync(DOCKER_CLI, ['run', '--rm', '--network', 'host', BUSYBOX_IMAGE, 'echo', 'hello'], {
      env: dockerd.env,
      encoding: 'utf8',
    })
    expect(out.trim()).toBe('hello')
  })

  it('stops cleanly and removes its socket', async () => {
    await dockerd.stop()
    expect(await dockerPing(dockerd.socket)).toBe(false)
    expect(existsSync(join(root, 'docker.sock'))).toBe(false)
  })
})
