/** Splits a byte stream into lines and writes each with a prefix; a last line without newline is flushed at end. */
import {StringDecoder} from 'node:string_decoder'

export class LinePrefixer {
  private readonly decoder = new StringDecoder('utf8')
  private pending = ''

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))
    const lines = text.split('\n')
    this.pending = lines.pop() ?? ''
    if (lines.length > 0) this.write(lines.map((line) => `${this.prefix}${line.replace(/\r$/, '')}\n`).join(''))
  }

  end(): void {
    const rest = this.pending + this.decoder.end()
    this.pending = ''
    if (rest !== '') this.write(`${this.prefix}${rest}\n`)
  }
}
