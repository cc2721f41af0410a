/**
 * Splits a byte stream into lines and writes each with a prefix; a last line without newline is flushed at end.
 * Serves renet (`[folder] ` before a Rediaccfile's output) and rdc (`<machine> | ` before renet's, dropping its
 * summary line through `skip`).
 */
import {StringDecoder} from 'node:string_decoder'

export class LinePrefixer {
  private readonly decoder = new StringDecoder('utf8')
  private pending = ''

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
    private readonly skip: (line: string) => boolean = () => false,
  ) {}

  /** Bound, so it can be handed on as a data callback. */
  push = (chunk: Buffer | string): void => {
    const lines = (this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))).split('\n')
    this.pending = lines.pop() ?? ''
    this.emit(lines)
  }

  end(): void {
    const rest = this.pending + this.decoder.end()
    this.pending = ''
    if (rest !== '') this.emit([rest])
  }

  private emit(lines: string[]): void {
    const kept = lines.map((line) => line.replace(/\r$/, '')).filter((line) => !this.skip(line))
    if (kept.length > 0) this.write(kept.map((line) => `${this.prefix}${line}\n`).join(''))
  }
}
