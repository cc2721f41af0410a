import {Command, Errors, Flags, Interfaces} from '@oclif/core'
import {stripVTControlCharacters} from 'node:util'

import {BugError, CodedError, errorJson, RdcError} from './errors.js'
import {usageErrorFromParse} from './parse-errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Every rdc command extends this: `--json` (the value run() returns is the JSON), the global `--context` and
 * `--config` flags, and one place that turns RdcErrors into messages, suggestions and exit codes.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    context: Flags.string({
      description: 'Context to use (default: RDC_CONTEXT, the project config, then the current context).',
      env: 'RDC_CONTEXT',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      description: 'Path of the context file (default: $XDG_CONFIG_HOME/rediacc/config.yaml).',
      env: 'RDC_CONFIG',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>

  public override async init(): Promise<void> {
    await super.init()
    let parsed
    try {
      parsed = await this.parse({
        args: this.ctor.args,
        baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
        enableJsonFlag: this.ctor.enableJsonFlag,
        flags: this.ctor.flags,
        strict: this.ctor.strict,
      })
    } catch (error) {
      // Whatever the parser refuses is bad input (exit 2), reported like every other error (see catch). It did
      // parse (and refuse): no "did not parse its arguments" warning outside production.
      this.parsed = true
      throw usageErrorFromParse(error, this.ctor, this.config.bin)
    }

    this.flags = parsed.flags as BaseFlags<T>
    this.args = parsed.args as BaseArgs<T>
  }

  /**
   * Every error leaves as an RdcError: with --json as `{error: {kind, exitCode, message, suggestion?, field?}}` on
   * stdout, otherwise as message and suggestion on stderr; the exit code is the kind's (README, Exit codes).
   * oclif's own errors (`this.error`, a flag's refusal) get the kind of their exit code; anything else is a bug.
   */
  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    // this.exit(n): leave with that code and nothing printed.
    if (err instanceof Errors.ExitError) throw err
    const rdcError = err instanceof RdcError ? err : asRdcError(err)
    process.exitCode = rdcError.exitCode
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(rdcError))
      return
    }

    // A bug keeps its stack for the report.
    const message = rdcError instanceof BugError && !(err instanceof RdcError) ? `${err.stack ?? err.message}` : rdcError.message
    throw new Errors.CLIError(message, {exit: rdcError.exitCode, suggestions: rdcError.suggestion ? [rdcError.suggestion] : undefined})
  }

  /**
   * For operations whose result is worth reporting even when they fail (repo up/down, dns apply): with --json the
   * result is the answer and the exit code says it failed; otherwise the error is thrown as usual (message and fix
   * on stderr). Returns the result when there is no error.
   */
  protected resultOrThrow<R>(result: R, error: RdcError | undefined): R {
    if (error !== undefined && !this.jsonEnabled()) throw error
    return this.answer(result, error?.exitCode)
  }

  /** Status lines on stderr while a command works; none with --json, whose stdout is the answer alone. */
  protected progress(): ((line: string) => void) | undefined {
    return this.jsonEnabled() ? undefined : (line) => this.logToStderr(line)
  }

  /**
   * The result is the answer in both modes and already says what failed and how to fix it (push-infra's
   * per-machine report, diagnose's findings): only the exit code says that something did. The one place a
   * command's non-zero exit without an error is set.
   */
  protected answer<R>(result: R, exitCode: number | undefined): R {
    if (exitCode !== undefined) process.exitCode = exitCode
    return result
  }

  protected override toErrorJson(err: unknown): unknown {
    return errorJson(err instanceof RdcError ? err : asRdcError(err))
  }
}

function asRdcError(err: unknown): RdcError {
  if (err instanceof RdcError) return err
  const oclif = (err as {oclif?: {exit?: number}} | undefined)?.oclif
  if (err instanceof Errors.CLIError || oclif?.exit !== undefined) {
    const suggestions = (err as {suggestions?: string[]}).suggestions
    const message = stripVTControlCharacters((err as Error).message ?? String(err))
    return new CodedError(oclif?.exit ?? 1, message, {suggestion: suggestions?.length ? suggestions.join(' ') : undefined, cause: err})
  }

  const e = err as Error | undefined
  return new BugError(e?.message || String(err), {cause: err})
}
