import {open, readFile, stat, unlink} from 'node:fs/promises'

import {ConflictError} from '../errors.js'
import {processAlive} from '../process-alive.js'

/**
 * A lock file beside the context file (`<file>.lock`, created with O_EXCL). It holds the owner's pid and a
 * nonce. A lock whose owner is gone (or, when it never got its content, that is older than STALE_MS) is taken
 * over, so a crashed rdc never blocks the next one for long; a live owner keeps its lock however long it takes.
 */
const STALE_MS = 60_000
/** A breaker (see removeIfStale) older than this died while breaking. */
const BREAKER_STALE_MS = 5_000

let counter = 0
/** Unique among processes on this machine (pid) and within one (counter); node:crypto is not needed for that. */
export function uniqueSuffix(): string {
  return `${process.pid}-${process.hrtime.bigint().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

export interface HeldLock {
  release(): Promise<void>
}

async function ageOf(path: string): Promise<number> {
  return Date.now() - (await stat(path)).mtimeMs
}

/**
 * Removes the lock when it is stale. Only one process breaks a lock at a time (it holds `<lock>.break`), and it
 * removes the lock only when it still holds the same content: a dead owner cannot release it, so nothing else can
 * have replaced it meanwhile. (Moving it aside and back, as before, let a third process take the lock in between
 * and then lose it to the move back, so two processes could both hold it.)
 */
async function removeIfStale(lockPath: string): Promise<void> {
  let content: string
  let age: number
  try {
    content = await readFile(lockPath, 'utf8')
    age = await ageOf(lockPath)
  } catch {
    return
  }

  const pid = Number(content.split(' ')[0])
  const known = Number.isInteger(pid) && pid > 0
  // A lock file still being written has no content yet: only its age can make it stale.
  if (known ? processAlive(pid) : age < STALE_MS) return
  const breaker = `${lockPath}.break`
  try {
    await (await open(breaker, 'wx', 0o600)).close()
  } catch {
    if (await ageOf(breaker).then((a) => a > BREAKER_STALE_MS, () => false)) await unlink(breaker).catch(() => {})
    return
  }

  try {
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === content) await unlink(lockPath)
  } catch {
    // Gone already.
  } finally {
    await unlink(breaker).catch(() => {})
  }
}

export async function acquireLock(lockPath: string, timeoutMs = 20_000): Promise<HeldLock> {
  const token = `${process.pid} ${uniqueSuffix()}`
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600)
      await handle.writeFile(token)
      await handle.close()
      return {
        async release() {
          const content = await readFile(lockPath, 'utf8').catch(() => undefined)
          if (content === token) await unlink(lockPath).catch(() => {})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (Date.now() > deadline) {
      throw new ConflictError(`The context file is locked by another rdc process (${lockPath}).`, {
        suggestion: 'Wait for it to finish; if no rdc is running, delete the lock file.',
      })
    }
    if (attempt % 10 === 9) await removeIfStale(lockPath)
    await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(50, 5 * (attempt + 1))))
  }
}
