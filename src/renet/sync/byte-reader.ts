/** Reads a byte stream piece by piece: a header line, an exact number of bytes, a run of bytes in chunks. */
export class TruncatedError extends Error {}

export class ByteReader {
  private pending: Buffer = Buffer.alloc(0)
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>
  private done = false

  constructor(input: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = input[Symbol.asyncIterator]()
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false
    const next = await this.iterator.next()
    if (next.done) {
      this.done = true
      return false
    }

    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    return true
  }

  /** The bytes up to (not including) the next `\n`, which is consumed; null when none comes within `max` bytes. */
  async line(max: number): Promise<Buffer | null> {
    for (;;) {
      const end = this.pending.indexOf(0x0a)
      if (end !== -1 && end <= max) {
        const line = this.pending.subarray(0, end)
        this.pending = this.pending.subarray(end + 1)
        return line
      }

      if (this.pending.length > max || !(await this.fill())) return null
    }
  }

  /** Exactly `n` bytes; throws TruncatedError when the stream ends first. */
  async exact(n: number): Promise<Buffer> {
    const parts: Buffer[] = []
    for await (const chunk of this.take(n)) parts.push(chunk)
    return Buffer.concat(parts)
  }

  /** The next `n` bytes in chunks as they arrive; throws TruncatedError when the stream ends first. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.fill())) throw new TruncatedError(`the stream ended ${left} bytes early`)
      const piece = this.pending.subarray(0, Math.min(left, this.pending.length))
      this.pending = this.pending.subarray(piece.length)
      left -= piece.length
      yield piece
    }
  }

  /** Everything that is left, up to `max` bytes (more is cut off). */
  async rest(max: number): Promise<Buffer> {
    while (this.pending.length <= max && (await this.fill()));
    return this.pending.subarray(0, max + 1)
  }
}
