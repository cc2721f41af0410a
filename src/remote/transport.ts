import type {Client, SFTPWrapper} from 'ssh2'
import {randomBytes} from 'node:crypto'
import {posix} from 'node:path'

import {RemoteError} from '../errors.js'
import {shellQuote} from './step.js'

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface ExecOptions {
  /** Given to the command on stdin (the one way besides file content to pass data that must not be in argv). */
  stdin?: string | Buffer
  timeoutMs?: number
  /** Called with each chunk as it arrives (live output); the chunks are still collected into the result. */
  onStdout?: (chunk: Buffer) => void
  onStderr?: (chunk: Buffer) => void
  /**
   * Keeps the command's stdin open until this settles (after writing `stdin`, if given), then closes it: a
   * command that holds something (a lock) for as long as its stdin is open holds it until then, or until the
   * connection drops. No timeout applies meanwhile.
   */
  holdStdin?: Promise<unknown>
}

export interface PutOptions {
  mode: number
  /** `user` or `user:group`. */
  owner?: string
}

/**
 * What remote work needs from a server. Commands are argv arrays (quoted here, once); files travel as content
 * over SFTP. Secrets belong in file content or stdin, never in argv: argv is visible to every user in `ps`.
 */
export interface Transport {
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>
  /** Atomic: written to a temp file beside `path`, mode and owner set, then renamed over `path`. */
  put(path: string, content: string | Buffer, opts: PutOptions): Promise<void>
  /** The file's content, or null when it does not exist. */
  get(path: string): Promise<Buffer | null>
  close(): Promise<void>
}

/** An interactive or long-lived command: its streams wired to local ones (repo exec, repo logs -f). */
export interface StreamOptions {
  /** Streamed to the command's stdin until it ends; absent: stdin is closed at once, or on abort when there is a signal. */
  stdin?: NodeJS.ReadableStream
  stdout: (chunk: Buffer) => void
  stderr: (chunk: Buffer) => void
  /** A terminal on the server (`ssh -t`); its output then arrives on stdout only. */
  pty?: {rows: number; cols: number; term: string}
  /** Aborting closes the command's stdin: a command that ends when its stdin ends (repo logs' wrapper) then ends. */
  signal?: AbortSignal
  /** Terminal size changes, forwarded while the command runs. */
  onResize?: (listener: (size: {rows: number; cols: number}) => void) => () => void
}

/** A Transport that can also run a command with its streams wired through (SshTransport does). */
export interface StreamingTransport extends Transport {
  /** The command's exit code; a command killed by a signal gives 128 + its number, as a shell reports it. */
  stream(argv: string[], opts: StreamOptions): Promise<number>
}

export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new RemoteError('Refusing to run an empty command.')
  return argv.map((w) => shellQuote(w)).join(' ')
}

/** ssh2 reports SFTP status codes on errors; 2 is SSH_FX_NO_SUCH_FILE. */
function isNoSuchFile(err: unknown): boolean {
  return (err as {code?: unknown})?.code === 2 || (err as {code?: unknown})?.code === 'ENOENT'
}

const CHUNK = 32 * 1024

/** Signal numbers (Linux) of the names ssh reports for a command killed by a signal. */
const SIGNALS: Record<string, number> = {HUP: 1, INT: 2, QUIT: 3, KILL: 9, PIPE: 13, ALRM: 14, TERM: 15}

/** Transport over one already-connected (and host-key-verified) ssh2 Client. */
export class SshTransport implements StreamingTransport {
  #sftp?: Promise<SFTPWrapper>
  /** Set once the connection is gone; every later call fails at once instead of waiting forever. */
  #lost?: RemoteError
  readonly #inFlight = new Set<(err: RemoteError) => void>()

  constructor(
    private readonly client: Client,
    private readonly host: string = 'server',
  ) {
    const lost = (): void => {
      this.#lost ??= new RemoteError(`The connection to ${host} was lost.`, {host}, {suggestion: 'Run the command again: a push converges from wherever the last one stopped.'})
      for (const fail of this.#inFlight) fail(this.#lost)
      this.#inFlight.clear()
    }

    client.on('close', lost)
    client.on('end', lost)
    client.on('error', lost)
  }

  /** Runs fn, failing it as soon as the connection is lost (ssh2 may otherwise never call back). */
  private guard<T>(fn: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost)
    return new Promise<T>((resolve, reject) => {
      const fail = (err: RemoteError): void => reject(err)
      this.#inFlight.add(fail)
      const done = (): void => {
        this.#inFlight.delete(fail)
      }

      try {
        fn(
          (v) => {
            done()
            resolve(v)
          },
          (e) => {
            done()
            reject(e)
          },
        )
      } catch (err) {
        done()
        reject(err)
      }
    })
  }

  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const command = shellCommand(argv)
    return this.guard((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) {
          reject(new RemoteError(`Could not start '${argv[0]}' on ${this.host}: ${err.message}`, {host: this.host, command: argv[0]}, {cause: err}))
          return
        }

        const out: Buffer[] = []
        const errOut: Buffer[] = []
        let code: number | null = null
        let timer: NodeJS.Timeout | undefined
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            stream.close()
            reject(new RemoteError(`'${argv[0]}' on ${this.host} did not finish within ${opts.timeoutMs} ms.`, {host: this.host, command: argv[0]}))
          }, opts.timeoutMs)
        }

        stream.on('data', (d: Buffer) => {
          out.push(d)
          opts.onStdout?.(d)
        })
        stream.stderr.on('data', (d: Buffer) => {
          errOut.push(d)
          opts.onStderr?.(d)
        })
        stream.on('exit', (c: number | null) => {
          code = c
        })
        stream.on('close', () => {
          if (timer) clearTimeout(timer)
          resolve({code: code ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8')})
        })
        if (opts.holdStdin) {
          if (opts.stdin !== undefined) stream.write(opts.stdin)
          const end = (): void => {
            stream.end()
          }
          opts.holdStdin.then(end, end)
        } else if (opts.stdin !== undefined) stream.end(opts.stdin)
        else stream.end()
      })
    })
  }

  stream(argv: string[], opts: StreamOptions): Promise<number> {
    const command = shellCommand(argv)
    return this.guard((resolve, reject) => {
      const started = (err: Error | undefined, stream: import('ssh2').ClientChannel): void => {
        if (err) {
          reject(new RemoteError(`Could not start '${argv[0]}' on ${this.host}: ${err.message}`, {host: this.host, command: argv[0]}, {cause: err}))
          return
        }

        let code: number | null = null
        let signalName: string | undefined
        stream.on('data', (d: Buffer) => opts.stdout(d))
        stream.stderr.on('data', (d: Buffer) => opts.stderr(d))
        stream.on('exit', (c: number | null, sig?: string) => {
          code = c
          signalName = sig
        })
        const stopResize = opts.pty && opts.onResize ? opts.onResize(({rows, cols}) => stream.setWindow(rows, cols, 0, 0)) : undefined
        const input = opts.stdin
        const endInput = (): void => {
          input?.unpipe?.(stream as unknown as NodeJS.WritableStream)
          stream.end()
        }
        const onAbort = (): void => endInput()
        opts.signal?.addEventListener('abort', onAbort, {once: true})
        stream.on('close', () => {
          stopResize?.()
          opts.signal?.removeEventListener('abort', onAbort)
          input?.unpipe?.(stream as unknown as NodeJS.WritableStream)
          resolve(code ?? (signalName ? 128 + (SIGNALS[signalName] ?? 1) : 255))
        })
        if (opts.signal?.aborted) endInput()
        else if (input) input.pipe(stream as unknown as NodeJS.WritableStream)
        // With a signal and no input, stdin stays open until the abort: that is what ends a wrapper waiting on it.
        else if (!opts.signal) stream.end()
      }

      if (opts.pty) this.client.exec(command, {pty: {rows: opts.pty.rows, cols: opts.pty.cols, term: opts.pty.term}}, started)
      else this.client.exec(command, started)
    })
  }

  async put(path: string, content: string | Buffer, opts: PutOptions): Promise<void> {
    const sftp = await this.sftp()
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
    const temp = posix.join(posix.dirname(path), `.${posix.basename(path)}.rdc-${randomBytes(4).toString('hex')}`)
    const fail = (what: string, err: unknown): RemoteError =>
      new RemoteError(`Could not ${what} ${path} on ${this.host}: ${(err as Error).message}`, {host: this.host}, {cause: err})
    try {
      const handle = await this.call<Buffer>((cb) => sftp.open(temp, 'w', {mode: opts.mode}, cb))
      try {
        // Pipelined writes: one round trip for the whole file instead of one per chunk.
        const writes: Promise<void>[] = []
        for (let off = 0; off < data.length; off += CHUNK) {
          const len = Math.min(CHUNK, data.length - off)
          writes.push(this.call<void>((cb) => sftp.write(handle, data, off, len, off, cb)))
        }
        await Promise.all(writes)
        // umask may have narrowed the mode given at open; set it exactly before the file becomes visible.
        await this.call<void>((cb) => sftp.fchmod(handle, opts.mode, cb))
        await this.call<void>((cb) => sftp.ext_openssh_fsync(handle, (err) => cb(err)))
      } finally {
        await this.call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined)
      }

      if (opts.owner) {
        const r = await this.exec(['chown', opts.owner, temp])
        if (r.code !== 0) throw new Error(r.stderr.trim() || `chown exited ${r.code}`)
      }

      // posix-rename replaces the target in one step; plain SFTP rename refuses an existing target.
      await this.call<void>((cb) => sftp.ext_openssh_rename(temp, path, cb))
    } catch (err) {
      await this.call<void>((cb) => sftp.unlink(temp, cb)).catch(() => undefined)
      throw fail('write', err)
    }
  }

  async get(path: string): Promise<Buffer | null> {
    const sftp = await this.sftp()
    try {
      return await this.call<Buffer>((cb) => sftp.readFile(path, cb))
    } catch (err) {
      if (isNoSuchFile(err)) return null
      throw new RemoteError(`Could not read ${path} on ${this.host}: ${(err as Error).message}`, {host: this.host}, {cause: err})
    }
  }

  async close(): Promise<void> {
    if (this.#sftp) {
      const sftp = await this.#sftp.catch(() => undefined)
      sftp?.end()
    }

    await new Promise<void>((resolve) => {
      this.client.once('close', () => resolve())
      this.client.end()
      // A dead connection may never emit close.
      setTimeout(resolve, 2000).unref()
    })
  }

  private sftp(): Promise<SFTPWrapper> {
    this.#sftp ??= this.call<SFTPWrapper>((cb) => this.client.sftp(cb))
    return this.#sftp
  }

  private call<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    return this.guard((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))))
  }
}
