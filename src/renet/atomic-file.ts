import {randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'

/**
 * Replaces `path` with `text` so that a reader (or a crash) sees the old file or the new one, never half of
 * either: write a temp file beside it, fsync, rename over. The temp name is unique per call, so two writers of
 * the same file never share a temp file.
 */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(temp, 'w', mode)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temp, {force: true})
    throw error
  }

  closeSync(fd)
  renameSync(temp, path)
}
