/**
 * The header of a `renet sync apply` stream, read and checked as a whole before anything changes: a path that is
 * absolute, has a `..`/`.`/empty segment, or touches a protected path (server state, `--exclude`) refuses the
 * stream.
 */
import {ByteReader, TruncatedError} from './byte-reader.js'
import {isSafeRelativePath, MODE_MASK, protectedMatcher} from './tree.js'
import {type ApplyHeader, MAX_HEADER_BYTES, WIRE_MAGIC} from './wire.js'

/** The stream is refused as a whole: nothing was changed. */
export class RefusedStreamError extends Error {}

export async function readHeader(reader: ByteReader): Promise<ApplyHeader> {
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

export function checkHeader(header: ApplyHeader, exclude: readonly string[]): void {
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
