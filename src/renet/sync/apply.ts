/**
 * `renet sync apply`: applies one stream (wire.ts) to a repository folder. The header is checked
 * as a whole before anything changes: a path that is absolute, has a `..`/`.`/empty segment, or touches a
 * protected path (server state, `--exclude`) refuses the stream. While applying, every folder on the way to a
 * path is checked with lstat and must be a real folder inside the root, so nothing is ever written or removed
 * through a symlink. Files are written to a temporary file beside the target, checked against their sha256,
 * given their mode (and the replaced file's owner), flushed to disk, then renamed over the target.
 */
import {createHash, randomBytes} from 'node:crypto'
import {closeSync, constants, fchmodSync, fchownSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, type Stats, writeSync} from 'node:fs'
import {lstat, mkdir, open, realpath, rename, rmdir, symlink, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {isSafeRelativePath, MODE_MASK, protectedMatcher} from './tree.js'
import {type ApplyHeader, type SyncApplyResult, MAX_HEADER_BYTES, WIRE_MAGIC, WIRE_TRAILER} from './wire.js'
import {ByteReader, TruncatedError} from './byte-reader.js'

export class RefusedStreamError extends Error {}

class EscapeError extends Error {}

export interface ApplyOptions {
  exclude?: readonly string[]
}

export async function applyStream(rootPath: string, input: AsyncIterable<Buffer | Uint8Array | string>, options: ApplyOptions = {}): Promise<SyncApplyResult> {
  const result: SyncApplyResult = {ok: false, written: 0, bytes: 0, deleted: 0, dirs: 0, chmod: 0, links: 0, kept: [], errors: []}
  const reader = new ByteReader(input)
  let header: ApplyHeader
  try {
    header = await readHeader(reader)
    checkHeader(header, options.exclude ?? [])
  } catch (error) {
    if (!(error instanceof RefusedStreamError || error instanceof TruncatedError)) throw error
    return {...result, error: `refused: ${error.message}; nothing was changed`}
  }

  await mkdir(rootPath, {recursive: true, mode: 0o755})
  const root = await realpath(rootPath)
  const fail = (path: string, error: unknown) => result.errors.push({path, message: describe(error)})
  let verified = new Set<string>()

  /** The absolute path of folder `rel` ('' = root), each step checked to be a real folder (created if asked). */
  async function folder(rel: string, create: boolean): Promise<string | null> {
    let current = root
    let sofar = ''
    for (const segment of rel === '' ? [] : rel.split('/')) {
      current = join(current, segment)
      sofar = sofar === '' ? segment : `${sofar}/${segment}`
      if (verified.has(sofar)) continue
      let st = lstatOrNull(current)
      if (st === null) {
        if (!create) return null
        mkdirSync(current, {mode: 0o755})
        st = lstatSync(current)
      }

      if (st.isSymbolicLink()) throw new EscapeError(`${sofar} is a symlink on the server; refusing to go through it`)
      if (!st.isDirectory()) throw new EscapeError(`${sofar} is not a folder on the server`)
      verified.add(sofar)
    }

    return current
  }

  const parentOf = (path: string) => (path.includes('/') ? dirname(path) : '')

  for (const path of header.delete) {
    try {
      const parent = await folder(parentOf(path), false)
      if (parent === null) continue
      const full = join(parent, basename(path))
      const st = await lstat(full).catch(() => null)
      if (st === null) continue
      if (st.isDirectory()) {
        try {
          await rmdir(full)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
          result.kept.push(path)
          continue
        }
      } else {
        await unlink(full)
      }

      result.deleted++
    } catch (error) {
      fail(path, error)
    }
  }

  // Deletions may have removed folders checked above.
  verified = new Set()
  for (const dir of header.dirs) {
    try {
      await folder(dir.path, true)
      result.dirs++
    } catch (error) {
      fail(dir.path, error)
    }
  }

  for (const link of header.links) {
    try {
      const parent = await folder(parentOf(link.path), true)
      if (parent === null) throw new Error('no parent folder')
      const temp = join(parent, tempName(link.path))
      await symlink(link.target, temp)
      try {
        await rename(temp, join(parent, basename(link.path)))
      } catch (error) {
        await unlink(temp).catch(() => undefined)
        throw error
      }

      result.links++
    } catch (error) {
      fail(link.path, error)
    }
  }

  // Files are staged (content written and checked beside their targets), flushed to disk together, then all
  // renamed into place: one flush instead of one per file, and the new set lands at once at the end.
  const staged: Staged[] = []
  let truncated = false
  for (const file of header.files) {
    const consumed = {bytes: 0}
    let parent: string | null = null
    try {
      parent = await folder(parentOf(file.path), true)
    } catch (error) {
      fail(file.path, error)
    }

    try {
      if (parent !== null) staged.push(await stageFile(reader, join(parent, basename(file.path)), file, consumed))
      // Read past whatever of the content was not used, so the next file starts where it should.
      for await (const chunk of reader.take(file.size - consumed.bytes)) consumed.bytes += chunk.length
    } catch (error) {
      if (!(error instanceof TruncatedError)) {
        fail(file.path, error)
        try {
          for await (const chunk of reader.take(file.size - consumed.bytes)) consumed.bytes += chunk.length
        } catch (drain) {
          if (!(drain instanceof TruncatedError)) throw drain
          error = drain
        }
      }

      if (error instanceof TruncatedError) {
        fail(file.path, error)
        result.errors.push({path: '', message: 'the stream ended early; the files after this one were not written'})
        truncated = true
      }
    }

    result.bytes += consumed.bytes
    if (truncated) break
  }

  try {
    await flushToDisk(staged)
  } catch (error) {
    for (const {temp, path} of staged.splice(0)) {
      rmSync(temp, {force: true})
      fail(path, error)
    }
  }

  for (const {temp, target, path} of staged) {
    try {
      renameSync(temp, target)
      result.written++
    } catch (error) {
      rmSync(temp, {force: true})
      fail(path, error)
    }
  }

  if (!truncated) {
    const trailer = (await reader.rest(WIRE_TRAILER.length)).toString('latin1')
    if (trailer !== WIRE_TRAILER) result.errors.push({path: '', message: 'the stream does not end with its trailer (truncated or extra data)'})
  }

  // Modes last, deepest first, so a read-only folder does not stop the files going into it.
  const modes = [...header.chmod, ...header.dirs].sort((a, b) => b.path.split('/').length - a.path.split('/').length)
  for (const {path, mode} of modes) {
    try {
      const parent = await folder(parentOf(path), false)
      if (parent === null) throw new Error('no such path')
      // O_NOFOLLOW: a path that became a symlink is refused rather than its target changed.
      const handle = await open(join(parent, basename(path)), constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        await handle.chmod(mode & MODE_MASK)
      } finally {
        await handle.close()
      }

    } catch (error) {
      fail(path, error)
    }
  }

  result.chmod = header.chmod.filter((c) => !result.errors.some((e) => e.path === c.path)).length
  return finish(result)
}

function finish(result: SyncApplyResult): SyncApplyResult {
  result.ok = result.errors.length === 0
  return result
}

interface Staged {
  temp: string
  target: string
  path: string
}

/**
 * Writes one file's content to a temporary file beside `target`, checks its sha256 and gives it its mode (and, as
 * root, the owner of the file it will replace). Synchronous file calls on purpose: this process does one thing at
 * a time, and each promise-based call costs a thread-pool round trip.
 */
async function stageFile(reader: ByteReader, target: string, file: ApplyHeader['files'][number], consumed: {bytes: number}): Promise<Staged> {
  const temp = join(dirname(target), tempName(target))
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  const hash = createHash('sha256')
  let ok = false
  try {
    for await (const chunk of reader.take(file.size)) {
      consumed.bytes += chunk.length
      hash.update(chunk)
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset)
    }

    if (hash.digest('hex') !== file.sha256) throw new Error('content does not match its sha256 (changed on the workstation while sent?); run the sync again')
    fchmodSync(fd, file.mode & MODE_MASK)
    const previous = lstatOrNull(target)
    if (previous !== null && previous.isFile() && process.getuid?.() === 0) fchownSync(fd, previous.uid, previous.gid)
    ok = true
    return {temp, target, path: file.path}
  } finally {
    closeSync(fd)
    if (!ok) rmSync(temp, {force: true})
  }
}

/**
 * Gets the staged files' content onto the disk before they replace anything, so a crash never leaves a renamed
 * but empty file (the hash cache could otherwise trust it). Per file (a syncfs would also flush everything
 * else on the datastore, databases included), several at a time so the journal commits them together.
 */
async function flushToDisk(staged: readonly Staged[]): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < staged.length) {
      const handle = await open(staged[next++].temp, constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        await handle.datasync()
      } finally {
        await handle.close()
      }
    }
  }

  await Promise.all(Array.from({length: Math.min(8, staged.length)}, worker))
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function tempName(path: string): string {
  return `.${basename(path)}.rdcsync-${randomBytes(6).toString('hex')}.tmp`
}

async function readHeader(reader: ByteReader): Promise<ApplyHeader> {
  const line = await reader.line(64)
  const match = line === null ? null : /^RDCSYNC1 (\d{1,10})$/.exec(line.toString('latin1'))
  if (match === null) throw new RefusedStreamError(`the input does not start with '${WIRE_MAGIC} <length>'`)
  const length = Number(match[1])
  if (length > MAX_HEADER_BYTES) throw new RefusedStreamError(`the header is ${length} bytes, more than ${MAX_HEADER_BYTES}`)
  try {
    return JSON.parse((await reader.exact(length)).toString('utf8')) as ApplyHeader
  } catch (error) {
    if (error instanceof TruncatedError) throw error
    throw new RefusedStreamError(`the header is not JSON: ${(error as Error).message}`)
  }
}

function checkHeader(header: ApplyHeader, exclude: readonly string[]): void {
  if (typeof header !== 'object' || header === null || header.version !== 1) throw new RefusedStreamError('the header is not version 1')
  const lists = ['delete', 'dirs', 'chmod', 'links', 'files'] as const
  for (const list of lists) if (!Array.isArray(header[list])) throw new RefusedStreamError(`the header has no '${list}' list`)
  const protectedPaths = protectedMatcher(exclude)
  const check = (path: unknown, isDir: boolean | null) => {
    if (!isSafeRelativePath(path)) throw new RefusedStreamError(`unsafe path ${JSON.stringify(path)} (absolute, empty, or with a '.' or '..' segment)`)
    const hit = isDir === null ? protectedPaths.covers(path, true) || protectedPaths.covers(path, false) : protectedPaths.covers(path, isDir)
    if (hit) throw new RefusedStreamError(`${path} is protected on the server (server state or an excluded data folder)`)
  }

  const isMode = (mode: unknown) => typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= MODE_MASK
  for (const path of header.delete) check(path, null)
  for (const dir of header.dirs) {
    check(dir?.path, true)
    if (!isMode(dir.mode)) throw new RefusedStreamError(`${dir.path}: bad mode`)
  }

  for (const entry of header.chmod) {
    check(entry?.path, null)
    if (!isMode(entry.mode)) throw new RefusedStreamError(`${entry.path}: bad mode`)
  }

  for (const link of header.links) {
    check(link?.path, false)
    if (typeof link.target !== 'string' || link.target === '' || link.target.includes('\0')) throw new RefusedStreamError(`${link.path}: bad symlink target`)
  }

  const seen = new Set<string>()
  for (const file of header.files) {
    check(file?.path, false)
    if (!isMode(file.mode) || !Number.isSafeInteger(file.size) || file.size < 0 || typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256)) {
      throw new RefusedStreamError(`${file.path}: bad size, mode or sha256`)
    }

    if (seen.has(file.path)) throw new RefusedStreamError(`${file.path} is listed twice`)
    seen.add(file.path)
  }
}

function describe(error: unknown): string {
  if (error instanceof EscapeError) return error.message
  const e = error as NodeJS.ErrnoException
  return e.code === undefined ? e.message : `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}`
}
