/**
 * `renet sync apply`: applies one stream (wire.ts) to a repository folder, phase by phase: the header is read and
 * checked as a whole before anything changes (apply-header.ts); then deletions, folders, symlinks, the files'
 * content (staged), the commit of the staged files, the trailer, and the modes. While applying, every folder on the
 * way to a path is a real folder inside the root (safe-folders.ts), so nothing is ever written or removed through
 * a symlink. Files are written to a temporary file beside the target, checked against their sha256, given their
 * mode (and the replaced file's owner), flushed to disk, then renamed over the target.
 */
import {createHash, randomBytes} from 'node:crypto'
import {closeSync, constants, fchmodSync, fchownSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {lstat, mkdir, open, realpath, rename, rmdir, symlink, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {checkHeader, readHeader, RefusedStreamError} from './apply-header.js'
import {ByteReader, TruncatedError} from './byte-reader.js'
import {EscapeError, lstatOrNull, parentOf, SafeFolders} from './safe-folders.js'
import {MODE_MASK} from './tree.js'
import {type ApplyHeader, type SyncApplyResult, WIRE_TRAILER} from './wire.js'

export {RefusedStreamError} from './apply-header.js'

export interface ApplyOptions {
  exclude?: readonly string[]
}

/** What every phase works on: the root's folders and the result it adds its counts and errors to. */
interface ApplyRun {
  folders: SafeFolders
  result: SyncApplyResult
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
  const run: ApplyRun = {folders: new SafeFolders(await realpath(rootPath)), result}
  await deletePaths(run, header.delete)
  // Deletions may have removed folders checked above.
  run.folders.forget()
  makeDirs(run, header.dirs)
  await makeLinks(run, header.links)
  const {staged, truncated} = await stageFiles(run, reader, header.files)
  await commitFiles(run, staged)
  if (!truncated) await checkTrailer(run, reader)
  await setModes(run, [...header.chmod, ...header.dirs])
  result.chmod = header.chmod.filter((c) => !result.errors.some((e) => e.path === c.path)).length
  return finish(result)
}

function fail(run: ApplyRun, path: string, error: unknown): void {
  run.result.errors.push({path, message: describe(error)})
}

/** In the order given (children before folders); a folder that is not empty is kept and listed in `kept`. */
async function deletePaths(run: ApplyRun, paths: ApplyHeader['delete']): Promise<void> {
  for (const path of paths) {
    try {
      const parent = run.folders.folder(parentOf(path), false)
      if (parent === null) continue
      const full = join(parent, basename(path))
      const st = await lstat(full).catch(() => null)
      if (st === null) continue
      if (st.isDirectory()) {
        try {
          await rmdir(full)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
          run.result.kept.push(path)
          continue
        }
      } else {
        await unlink(full)
      }

      run.result.deleted++
    } catch (error) {
      fail(run, path, error)
    }
  }
}

/** Folders are made 0755; their own modes are set with the rest at the end. */
function makeDirs(run: ApplyRun, dirs: ApplyHeader['dirs']): void {
  for (const dir of dirs) {
    try {
      run.folders.folder(dir.path, true)
      run.result.dirs++
    } catch (error) {
      fail(run, dir.path, error)
    }
  }
}

/** Each symlink is made beside its target and renamed over it. */
async function makeLinks(run: ApplyRun, links: ApplyHeader['links']): Promise<void> {
  for (const link of links) {
    try {
      const parent = run.folders.folder(parentOf(link.path), true)
      if (parent === null) throw new Error('no parent folder')
      const temp = join(parent, tempName(link.path))
      await symlink(link.target, temp)
      try {
        await rename(temp, join(parent, basename(link.path)))
      } catch (error) {
        await unlink(temp).catch(() => undefined)
        throw error
      }

      run.result.links++
    } catch (error) {
      fail(run, link.path, error)
    }
  }
}

/** Reads every file's content off the stream into a staged file beside its target; stops where the stream ends early. */
async function stageFiles(run: ApplyRun, reader: ByteReader, files: ApplyHeader['files']): Promise<{staged: Staged[]; truncated: boolean}> {
  const staged: Staged[] = []
  for (const file of files) {
    if (await receiveFile(run, reader, file, staged)) return {staged, truncated: true}
  }

  return {staged, truncated: false}
}

/**
 * One file's content: staged when it can be, else skipped with its content read past, so the next file starts
 * where it should. True when the stream ended early (the unfinished file is not staged).
 */
async function receiveFile(run: ApplyRun, reader: ByteReader, file: ApplyHeader['files'][number], staged: Staged[]): Promise<boolean> {
  const consumed = {bytes: 0}
  let parent: string | null = null
  try {
    parent = run.folders.folder(parentOf(file.path), true)
  } catch (error) {
    fail(run, file.path, error)
  }

  let truncated = false
  try {
    if (parent !== null) staged.push(await stageFile(reader, join(parent, basename(file.path)), file, consumed))
    // Read past whatever of the content was not used, so the next file starts where it should.
    for await (const chunk of reader.take(file.size - consumed.bytes)) consumed.bytes += chunk.length
  } catch (error) {
    if (!(error instanceof TruncatedError)) {
      fail(run, file.path, error)
      try {
        for await (const chunk of reader.take(file.size - consumed.bytes)) consumed.bytes += chunk.length
      } catch (drain) {
        if (!(drain instanceof TruncatedError)) throw drain
        error = drain
      }
    }

    if (error instanceof TruncatedError) {
      fail(run, file.path, error)
      run.result.errors.push({path: '', message: 'the stream ended early; the files after this one were not written'})
      truncated = true
    }
  }

  run.result.bytes += consumed.bytes
  return truncated
}

/**
 * Files are staged (content written and checked beside their targets), flushed to disk together, then all
 * renamed into place: one flush instead of one per file, and the new set lands at once at the end.
 */
async function commitFiles(run: ApplyRun, staged: Staged[]): Promise<void> {
  try {
    await flushToDisk(staged)
  } catch (error) {
    for (const {temp, path} of staged.splice(0)) {
      rmSync(temp, {force: true})
      fail(run, path, error)
    }
  }

  for (const {temp, target, path} of staged) {
    try {
      renameSync(temp, target)
      run.result.written++
    } catch (error) {
      rmSync(temp, {force: true})
      fail(run, path, error)
    }
  }
}

async function checkTrailer(run: ApplyRun, reader: ByteReader): Promise<void> {
  const trailer = (await reader.rest(WIRE_TRAILER.length)).toString('latin1')
  if (trailer !== WIRE_TRAILER) run.result.errors.push({path: '', message: 'the stream does not end with its trailer (truncated or extra data)'})
}

/** Modes last, deepest first, so a read-only folder does not stop the files going into it. */
async function setModes(run: ApplyRun, entries: ReadonlyArray<{path: string; mode: number}>): Promise<void> {
  const modes = [...entries].sort((a, b) => b.path.split('/').length - a.path.split('/').length)
  for (const {path, mode} of modes) {
    try {
      const parent = run.folders.folder(parentOf(path), false)
      if (parent === null) throw new Error('no such path')
      // O_NOFOLLOW: a path that became a symlink is refused rather than its target changed.
      const handle = await open(join(parent, basename(path)), constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        await handle.chmod(mode & MODE_MASK)
      } finally {
        await handle.close()
      }
    } catch (error) {
      fail(run, path, error)
    }
  }
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

function tempName(path: string): string {
  return `.${basename(path)}.rdcsync-${randomBytes(6).toString('hex')}.tmp`
}

function describe(error: unknown): string {
  if (error instanceof EscapeError) return error.message
  const e = error as NodeJS.ErrnoException
  return e.code === undefined ? e.message : `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}`
}
