import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {processAlive} from '../../src/process-alive.js'

/**
 * A lock between processes: a folder made with mkdir (atomic), holding the owner's pid. A lock whose owner is
 * gone (a killed build) is taken over. Returns the release function.
 */
export async function acquireLock(path: string, options: {timeoutMs?: number; onWait?: (owner: number) => void} = {}): Promise<() => void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000)
  let told = false
  for (;;) {
    try {
      mkdirSync(path)
      writeFileSync(join(path, 'owner'), `${process.pid}\n`)
      return () => rmSync(path, {recursive: true, force: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    let owner = Number.NaN
    try {
      owner = Number(readFileSync(join(path, 'owner'), 'utf8').trim())
    } catch {
      // The owner has made the folder but not yet written its pid: wait for it.
    }

    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
      rmSync(path, {recursive: true, force: true})
      continue
    }

    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path} (held by pid ${owner})`)
    if (!told && Number.isInteger(owner)) {
      options.onWait?.(owner)
      told = true
    }

    await sleep(500)
  }
}
