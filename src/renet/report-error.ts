/** How renet subcommands print an error: one line with the message, one with what to do, and the exit code. */
import {RdcError} from '../errors.js'

export function reportError(command: string, error: unknown, write: (text: string) => void): number {
  if (error instanceof RdcError) {
    write(`renet ${command}: ${error.message}\n`)
    if (error.suggestion !== undefined) write(`  ${error.suggestion}\n`)
    return error.exitCode
  }

  throw error
}
