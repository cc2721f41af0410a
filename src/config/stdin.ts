import {UsageError} from '../errors.js'
import {Secret} from './secret.js'

/** Reads all of standard input (for "--flag -"), so a secret never has to be typed on a command line. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/** A secret flag's value as a Secret; "-" means standard input (a trailing newline is dropped). */
export async function readSecretFlag(value: string | undefined, field: string): Promise<Secret | undefined> {
  if (value === undefined) return undefined
  if (value !== '-') return new Secret(value)
  if (process.stdin.isTTY) {
    throw new UsageError(`${field} -: standard input is a terminal, nothing was piped in.`, {field, suggestion: `Pipe it: printf %s "$TOKEN" | rdc context set-infra <machine> ${field} -`})
  }
  return new Secret((await readStdin()).replace(/\r?\n$/, ''))
}
