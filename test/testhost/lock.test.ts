import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {acquireLock} from './lock.js'

describe('the image build lock', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('lets one holder in at a time; the second gets in after the first releases', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-th-lock-'))
    const path = join(dir, 'k.lock')
    const order: string[] = []
    const release1 = await acquireLock(path)
    order.push('1 in')
    const second = acquireLock(path, {onWait: (pid) => order.push(`2 waits for ${pid === process.pid ? 'me' : pid}`)}).then((release) => {
      order.push('2 in')
      return release
    })
    await new Promise((r) => setTimeout(r, 700))
    order.push('1 out')
    release1()
    const release2 = await second
    expect(order).toEqual(['1 in', '2 waits for me', '1 out', '2 in'])
    release2()
    expect(existsSync(path)).toBe(false)
  })

  it('takes over a lock whose holder is gone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-th-lock-'))
    const path = join(dir, 'k.lock')
    const child = spawn('true')
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)))
    mkdirSync(path)
    writeFileSync(join(path, 'owner'), `${deadPid}\n`)
    const release = await acquireLock(path, {timeoutMs: 5000})
    expect(readFileSync(join(path, 'owner'), 'utf8').trim()).toBe(String(process.pid))
    release()
  })

  it('gives up after its timeout while a live holder keeps the lock', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-th-lock-'))
    const path = join(dir, 'k.lock')
    const release = await acquireLock(path)
    await expect(acquireLock(path, {timeoutMs: 600})).rejects.toThrow(/timed out waiting for lock/)
    release()
  })
})
