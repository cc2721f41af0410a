import {open, readFile, rename, stat, unlink} from 'node:fs/promises'

import {ConflictError} from '../errors.js'
import {processAlive} from '../process-alive.js'

/**
 * A lock file beside the context file (`<file>.lock`, created with O_EXCL). It holds the owner's pid and a
 * nonce; a lock whose owner is gone (or that is older than STALE_MS) is taken over, so a crashed rdc never
 * blocks the next one for long.
 */
const STALE_MS = 60_000

let counter = 0
/** Unique among processes on this machine (pid) and within one (counter); node:crypto is not needed for that. */
export function uniqueSuffix(): string {
  return `${process.pid}-${process.hrtime.bigint().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

export interface HeldLock {
  release(): Promise<void>
}

async function removeIfStale(lockPath: string): Promise<void> {
  let content: string
  let age: number
  try {
    content = await readFile(lockPath, 'utf8')
    age = Date.now() - (await stat(lockPath)).mtimeMs
  } catch {
    return
  }
  const pid = Number(content.split(' ')[0])
  // A lock file still being written has no content yet: only its age can make it stale.
  const ownerGone = Number.isInteger(pid) && pid > 0 && !processAlive(pid)
  if (!ownerGone && age < STALE_MS) return
  // Move it aside first and check it is still the same lock, so two processes never both remove a fresh one.
  const aside = `${lockPath}.stale-${uniqueSuffix()}`
  try {
    await rename(lockPath, aside)
    const moved = await readFile(aside, 'utf8')
    if (moved !== content) await rename(aside, lockPath).catch(() => {})
    else await unlink(aside)
  } catch {
    // Another process got there first.
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
