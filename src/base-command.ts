import {Command, Errors, Flags, Interfaces} from '@oclif/core'

import {BugError, RdcError} from './errors.js'

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
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof RdcError) {
      process.exitCode = err.exitCode
      if (this.jsonEnabled()) {
        this.logJson(this.toErrorJson(err))
        return
      }

      throw new Errors.CLIError(err.message, {exit: err.exitCode, suggestions: err.suggestion ? [err.suggestion] : undefined})
    }

    if (err instanceof Errors.CLIError || (err as {oclif?: unknown}).oclif) return super.catch(err)
    // Anything else is a bug: keep the stack for the report, but with our exit code.
    const bug = new BugError(err.message || String(err), {cause: err})
    process.exitCode = bug.exitCode
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(bug))
      return
    }

    throw new Errors.CLIError(`${err.stack ?? err.message}`, {exit: bug.exitCode})
  }

  /**
   * For operations whose result is worth reporting even when they fail (repo up/down): with --json the result is
   * the answer and the exit code says it failed; otherwise the error is thrown as usual. Returns the result when
   * there is no error.
   */
  protected resultOrThrow<R>(result: R, error: RdcError | undefined): R {
    if (error === undefined) return result
    if (!this.jsonEnabled()) throw error
    process.exitCode = error.exitCode
    return result
  }

  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof RdcError) {
      return {
        error: {
          kind: err.kind,
          exitCode: err.exitCode,
          message: err.message,
          ...(err.suggestion ? {suggestion: err.suggestion} : {}),
          ...('field' in err && err.field ? {field: err.field} : {}),
        },
      }
    }

    return super.toErrorJson(err)
  }
}
