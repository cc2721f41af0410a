/**
 * The stream `renet sync apply` reads on stdin, so a whole sync is one exec with no per-file round trip
 * (format in src/renet/sync/README.md):
 *
 *   RDCSYNC1 <header length in bytes>\n
 *   <header: UTF-8 JSON, ApplyHeader>
 *   <the content of header.files[0]> … <of header.files[n-1]>   (exactly `size` bytes each, back to back)
 *   RDCSYNC1 END\n
 */

export const WIRE_MAGIC = 'RDCSYNC1'
export const WIRE_TRAILER = `${WIRE_MAGIC} END\n`
/** A header longer than this is refused before it is read (a plan of ~100,000 paths fits easily). */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024

export interface ApplyHeader {
  version: 1
  /** Removed first, in this order (the planner lists children before their folders). */
  delete: string[]
  /** Folders created when missing (parents first); their mode is set after every file is in place. */
  dirs: Array<{path: string; mode: number}>
  /** Existing files or folders whose content is unchanged but whose mode is not. */
  chmod: Array<{path: string; mode: number}>
  /** Symlinks created or replaced. */
  links: Array<{path: string; target: string}>
  /** Files whose content follows the header, in this order. */
  files: Array<{path: string; size: number; mode: number; sha256: string}>
}

/** What `renet sync apply` prints on stdout (one JSON line); named for the sync, as push has an ApplyResult too. */
export interface SyncApplyResult {
  ok: boolean
  written: number
  /** Bytes of file content received. */
  bytes: number
  deleted: number
  dirs: number
  chmod: number
  links: number
  /** Folders not removed because something the sync does not manage (an excluded path) is still in them. */
  kept: string[]
  errors: Array<{path: string; message: string}>
  /** Set when the whole stream was refused (nothing was changed). */
  error?: string
}

export function emptyHeader(): ApplyHeader {
  return {version: 1, delete: [], dirs: [], chmod: [], links: [], files: []}
}

/**
 * The stream for `header`, reading each file's content from `open(path)`. Throws (ending the stream early, so
 * the server refuses the unfinished file) when a file no longer has the size the plan was made with.
 */
export async function* encodeApplyStream(
  header: ApplyHeader,
  open: (path: string) => AsyncIterable<Buffer | Uint8Array>,
): AsyncGenerator<Buffer> {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  yield Buffer.from(`${WIRE_MAGIC} ${json.length}\n`, 'ascii')
  yield json
  for (const file of header.files) {
    let sent = 0
    for await (const chunk of open(file.path)) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
      sent += buffer.length
      if (sent > file.size) throw new Error(`${file.path} grew while it was being sent; run the sync again`)
      yield buffer
    }

    if (sent !== file.size) throw new Error(`${file.path} shrank while it was being sent; run the sync again`)
  }

  yield Buffer.from(WIRE_TRAILER, 'ascii')
}

export async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}
