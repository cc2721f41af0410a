import {link, lstat, open, readdir, readFile, stat, unlink} from 'node:fs/promises'

import {ConflictError} from '../errors.js'
import {processAlive} from '../process-alive.js'

/**
 * A lock file beside the context file (`<file>.lock`) holding the owner's pid and a nonce. The owner is in the
 * file from the moment it exists: the content goes into a temp file first, which is then hard-linked to the lock's
 * name (link() fails when the name exists, so it is as exclusive as O_EXCL). A lock whose owner is gone is taken
 * over at once, so a killed rdc never blocks the next one; a live owner keeps its lock however long it takes.
 *
 * On a filesystem without hard links the lock is created with O_EXCL and written after; only there can a lock
 * be seen empty, and an empty lock counts as abandoned after EMPTY_STALE_MS.
 */
const EMPTY_STALE_MS = 2_000
/** A breaker (see removeIfStale) without a readable owner that is older than this died while breaking. */
const BREAKER_STALE_MS = 2_000

let counter = 0
/** Unique among processes on this machine (pid first) and within one (counter); node:crypto is not needed for that. */
export function uniqueSuffix(): string {
  return `${process.pid}-${process.hrtime.bigint().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

/**
 * The names rdc gives its temp files beside `base` (a file name, no folder): `<base>.<suffix>.tmp` for the file's
 * next content, `<base>.lock.<suffix>.tmp` for a lock's content. Returns the writer's pid, or undefined for any
 * other name, so cleanup never touches a file rdc did not make.
 */
export function tempOwner(base: string, name: string): number | undefined {
  if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) return undefined
  const m = /^(?:lock\.)?([1-9][0-9]{0,9})-[0-9a-z]+-[0-9a-z]+-[0-9a-z]*\.tmp$/.exec(name.slice(base.length + 1))
  return m ? Number(m[1]) : undefined
}

/** Named steps of taking the lock, for tests that kill a writer at each one. */
export type LockStep = 'lock-temp-created' | 'lock-linked'

export interface HeldLock {
  release(): Promise<void>
}

async function ageOf(path: string): Promise<number> {
  return Date.now() - (await stat(path)).mtimeMs
}

function ownerOf(content: string): number | undefined {
  const pid = Number(content.split(' ')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Whether a lock (or breaker) with this content and age was left by a process that is gone. */
function abandoned(content: string, age: number, emptyStaleMs: number): boolean {
  const pid = ownerOf(content)
  return pid === undefined ? age >= emptyStaleMs : !processAlive(pid)
}

/** Removes `path` only if it still holds `content` (a dead owner cannot change it, so nobody else replaced it). */
async function unlinkIfUnchanged(path: string, content: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === content) await unlink(path).catch(() => {})
}

/**
 * Removes the lock when its owner is gone. Only one process breaks a lock at a time: it holds `<lock>.break`,
 * made the same way as the lock (its owner inside from the start), and it removes the lock only when it still
 * holds the content seen as abandoned. A breaker whose owner died is itself removed by the next process.
 */
async function removeIfStale(lockPath: string, ours: {temp?: string; token: string}): Promise<void> {
  let content: string
  let age: number
  try {
    content = await readFile(lockPath, 'utf8')
    age = await ageOf(lockPath)
  } catch {
    return
  }
  if (!abandoned(content, age, EMPTY_STALE_MS)) return

  const breaker = `${lockPath}.break`
  try {
    await createWithContent(breaker, ours)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const held = await readFile(breaker, 'utf8').catch(() => undefined)
    const heldAge = await ageOf(breaker).catch(() => 0)
    if (held !== undefined && abandoned(held, heldAge, BREAKER_STALE_MS)) await unlinkIfUnchanged(breaker, held)
    return
  }

  try {
    await unlinkIfUnchanged(lockPath, content)
  } finally {
    await unlinkIfUnchanged(breaker, ours.token)
  }
}

/** Makes `path` hold `token` from the moment it exists (link from our temp); EEXIST when it exists. */
async function createWithContent(path: string, ours: {temp?: string; token: string}): Promise<void> {
  if (ours.temp !== undefined) {
    await link(ours.temp, path)
    return
  }
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(ours.token)
  } finally {
    await handle.close()
  }
}

function linkUnsupported(error: unknown): boolean {
  return ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes((error as NodeJS.ErrnoException).code ?? '')
}

export interface LockOptions {
  timeoutMs?: number
  /** Called after each step (tests kill the process there). */
  step?: (step: LockStep) => void
}

export async function acquireLock(lockPath: string, options: LockOptions | number = {}): Promise<HeldLock> {
  const {timeoutMs = 20_000, step} = typeof options === 'number' ? {timeoutMs: options} : options
  const token = `${process.pid} ${uniqueSuffix()}`
  const ours: {temp?: string; token: string} = {temp: `${lockPath}.${uniqueSuffix()}.tmp`, token}
  const handle = await open(ours.temp!, 'wx', 0o600)
  try {
    step?.('lock-temp-created')
    await handle.writeFile(token)
  } finally {
    await handle.close()
  }

  const deadline = Date.now() + timeoutMs
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await createWithContent(lockPath, ours)
        step?.('lock-linked')
        return {
          release: () => unlinkIfUnchanged(lockPath, token),
        }
      } catch (error) {
        if (ours.temp !== undefined && linkUnsupported(error)) {
          await unlink(ours.temp).catch(() => {})
          ours.temp = undefined
          attempt--
          continue
        }
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      if (Date.now() > deadline) {
        throw new ConflictError(`The context file is locked by another rdc process (${lockPath}).`, {
          suggestion: 'Wait for it to finish; if no rdc is running, delete the lock file.',
        })
      }
      // First look at once (a killed writer's lock goes without waiting), then every few tries.
      if (attempt % 8 === 0) await removeIfStale(lockPath, ours)
      await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(50, 5 * (attempt + 1))))
    }
  } finally {
    if (ours.temp !== undefined) await unlink(ours.temp).catch(() => {})
  }
}

/**
 * Removes what killed writers left beside `<dir>/<base>`: rdc's own temp files (by name) whose writer is gone,
 * and a breaker whose owner is gone. Called by the lock's holder, so no live writer of this file is mid-write
 * except through a temp file that names a live pid.
 */
export async function removeLeftovers(dir: string, base: string): Promise<string[]> {
  const removed: string[] = []
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return removed
  }
  for (const name of names) {
    const path = `${dir}/${name}`
    if (name === `${base}.lock.break`) {
      const content = await readFile(path, 'utf8').catch(() => undefined)
      const age = await ageOf(path).catch(() => 0)
      if (content !== undefined && abandoned(content, age, BREAKER_STALE_MS)) {
        await unlinkIfUnchanged(path, content)
        removed.push(name)
      }
      continue
    }
    const pid = tempOwner(base, name)
    if (pid === undefined || pid === process.pid || processAlive(pid)) continue
    // Only plain files: a link or folder by that name was not made by rdc.
    if (!(await lstat(path).then((s) => s.isFile(), () => false))) continue
    await unlink(path).then(() => removed.push(name), () => {})
  }
  return removed
}
