import {stripVTControlCharacters} from 'node:util'

import {closest} from './config/did-you-mean.js'
import {RdcError, UsageError} from './errors.js'

/** What of a command the messages need (its static side: id, flags, args). */
export interface CommandShape {
  id?: string
  args?: Record<string, {required?: boolean; description?: string} | undefined>
  flags?: Record<string, {type?: string; required?: boolean; char?: string; helpValue?: string | string[]} | undefined>
  baseFlags?: Record<string, unknown>
  enableJsonFlag?: boolean
}

const SEE_HELP = /\s*See more help with --help\s*$/
const PARSING = /^Parsing --([\w-]+)\s*\n\t/

/**
 * Turns whatever oclif's parser threw (an unknown flag, a missing argument or required flag, a value a flag
 * refuses) into a UsageError: one short message naming the flag or argument, a suggestion (the closest flag, the
 * usage line, where the help is) and exit code 2. oclif's own errors carry the whole parse state (configuration,
 * manifest, every flag), which must not reach the output, with or without --json.
 */
export function usageErrorFromParse(err: unknown, command: CommandShape, bin: string): RdcError {
  const name = `${bin} ${(command.id ?? '').replace(/:/g, ' ')}`.trim()
  const helpHint = `See "${name} --help".`
  if (err instanceof RdcError) {
    // A flag's own parse function threw it; oclif prefixed and suffixed its message in place.
    err.message = err.message.replace(PARSING, '').replace(SEE_HELP, '')
    return err
  }

  const raw = err instanceof Error ? err.message : String(err)
  const message = stripVTControlCharacters(raw).replace(SEE_HELP, '').trim()
  const e = err as {flags?: unknown; args?: unknown}
  const longFlags = [...Object.keys({...command.baseFlags, ...command.flags}), ...(command.enableJsonFlag ? ['json'] : []), 'help']

  // NonExistentFlagsError: flags is the list of what was typed.
  if (Array.isArray(e.flags) && e.flags.every((f) => typeof f === 'string') && e.flags.length > 0) {
    const typed = e.flags as string[]
    const guess = closest(typed[0]!.replace(/^-+/, '').replace(/=.*$/, ''), longFlags)
    return new UsageError(`Unknown flag${typed.length === 1 ? '' : 's'} ${typed.join(', ')} for "${name}".`, {
      field: typed[0],
      suggestion: guess ? `Did you mean --${guess}? ${helpHint}` : `${helpHint.replace(/\.$/, '')} for the flags it takes.`,
      cause: err,
    })
  }

  // RequiredArgsError (args: the missing argument definitions) and UnexpectedArgsError (args: the extra words).
  if (Array.isArray(e.args) && e.args.length > 0) {
    if (e.args.every((a) => typeof a === 'string')) {
      const extra = e.args as string[]
      return new UsageError(`Unexpected argument${extra.length === 1 ? '' : 's'}: ${extra.join(' ')}.`, {
        suggestion: `Usage: ${usageLine(command, name)}. ${helpHint}`,
        cause: err,
      })
    }

    const missing = (e.args as Array<{name?: string; description?: string}>).filter((a) => a.name)
    const what = missing.map((a) => `${a.name!.toUpperCase()}${a.description ? ` (${a.description.replace(/\.$/, '')})` : ''}`).join(', ')
    return new UsageError(`Missing required argument${missing.length === 1 ? '' : 's'}: ${what}.`, {
      field: missing[0]?.name,
      suggestion: `Usage: ${usageLine(command, name)}. ${helpHint}`,
      cause: err,
    })
  }

  // A value a flag refused: "Parsing --lock-wait \n\tExpected an integer …".
  const parsing = PARSING.exec(message)
  if (parsing) {
    const reason = message.slice(parsing[0].length).trim()
    return new UsageError(`Invalid value for --${parsing[1]}: ${lowerFirst(reason)}`, {field: `--${parsing[1]}`, suggestion: helpHint, cause: err})
  }

  // FailedFlagValidationError / ViolatedFlagConstraintError: "The following error(s) occurred:\n  reason\n  …".
  let reasons = [message]
  const list = /^The following errors? occurred:\s*\n/.exec(message)
  if (list) {
    reasons = message
      .slice(list[0].length)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((r) => r.replace(/^Missing required flag ([\w-]+)$/, 'Missing required flag --$1'))
  }

  const text = reasons.map((r) => r.replace(/\s*\n\s*/g, ' ')).join('; ')
  const flag = /--([a-z][\w-]*)/i.exec(text)?.[1]
  const missingFlag = reasons.some((r) => r.startsWith('Missing required flag'))
  return new UsageError(/[.!?]$/.test(text) ? text : `${text}.`, {
    field: flag && longFlags.includes(flag) ? `--${flag}` : undefined,
    suggestion: missingFlag ? `Usage: ${usageLine(command, name)}. ${helpHint}` : helpHint,
    cause: err,
  })
}

/** `rdc context add-machine NAME --host <value> [flags]`: the arguments and the required flags. */
function usageLine(command: CommandShape, name: string): string {
  const args = Object.entries(command.args ?? {}).map(([n, a]) => (a?.required ? n.toUpperCase() : `[${n.toUpperCase()}]`))
  const required = Object.entries(command.flags ?? {})
    .filter(([, f]) => f?.required)
    .map(([n, f]) => (f?.type === 'boolean' ? `--${n}` : `--${n} <${typeof f?.helpValue === 'string' ? f.helpValue : 'value'}>`))
  return [name, ...args, ...required, '[flags]'].join(' ')
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s
}
