/**
 * One error hierarchy for the whole CLI. Every error a user can see is an RdcError with an exit code from
 * EXIT_CODES (the README's table is generated from the same list, so they cannot drift apart).
 */

export const EXIT_CODES = {
  ok: {code: 0, meaning: 'Success.'},
  failure: {code: 1, meaning: 'A check or deployment finished and reported a failure (e.g. `rdc diagnose` found a broken hop).'},
  usage: {code: 2, meaning: 'Bad input: a flag, argument or value is invalid or missing. Nothing was changed.'},
  config: {code: 3, meaning: 'The context file (or project config) is unreadable or invalid. It was not modified.'},
  notFound: {code: 4, meaning: 'An unknown context, machine or repository was named.'},
  hostKey: {code: 5, meaning: "The server's SSH host key does not match the pinned one. Nothing was run."},
  connection: {code: 6, meaning: 'The server could not be reached or login failed.'},
  remote: {code: 7, meaning: 'A command on the server failed; the previous working set was kept or restored.'},
  conflict: {code: 8, meaning: 'The request conflicts with current state (e.g. deleting a running repository, a lock held too long, a DNS name held by a record rdc did not make or claimed by two machines).'},
  drift: {code: 9, meaning: '`rdc dns check`: the records at Cloudflare differ from the plan (missing, pointing elsewhere, proxied, or held by another record). Nothing was changed; `rdc dns apply` converges.'},
  cloudflare: {code: 10, meaning: "Cloudflare's API refused or failed a request: the token is invalid or lacks a permission on the zone (the message names which), the zone is not visible to it, the rate limit held after retries, or the API could not be reached."},
  unrouted: {code: 11, meaning: '`rdc repo up`: the deploy finished, but a container that asked for routes (`traefik.enable=true`) got none: its labels were refused or skipped (the output names each with its reason and fix). `--allow-unrouted` accepts that.'},
  infraDrift: {code: 12, meaning: '`rdc context push-infra --check`: a machine differs from what a push would make (a file added or changed by hand, a service not running). Nothing was changed; `rdc context push-infra` converges.'},
  bug: {code: 70, meaning: 'An internal error in rdc. Please report it with the output of the command.'},
  unknownCommand: {code: 127, meaning: 'No such command (as a shell exits for a command it cannot find); `rdc help` lists them.'},
  interrupted: {code: 130, meaning: "Interrupted (Ctrl-C or SIGTERM). `repo up` stopped its steps on the server too; running it again converges."},
} as const

export type ExitKind = keyof typeof EXIT_CODES

/** An error as `--json` shows it: the `error` of every command's answer, and of each machine or step that failed. */
export interface RdcErrorJson {
  kind: ExitKind
  exitCode: number
  message: string
  suggestion?: string
  field?: string
}

export abstract class RdcError extends Error {
  abstract readonly kind: ExitKind
  /** What the user can do about it, printed under the message. */
  readonly suggestion?: string

  constructor(message: string, options: {suggestion?: string; cause?: unknown} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.suggestion = options.suggestion
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind].code
  }

  /** The documented JSON form (also what JSON.stringify gives), with no stack or cause: those may hold secrets. */
  toJSON(): RdcErrorJson {
    const field = (this as {field?: unknown}).field
    return {
      kind: this.kind,
      exitCode: this.exitCode,
      message: this.message,
      ...(this.suggestion ? {suggestion: this.suggestion} : {}),
      ...(typeof field === 'string' && field ? {field} : {}),
    }
  }
}

/** Bad input (flag, argument, value). `field` names what was wrong. */
export class UsageError extends RdcError {
  readonly kind = 'usage'
  constructor(
    message: string,
    options: {field?: string; suggestion?: string; cause?: unknown} = {},
  ) {
    super(message, options)
    this.field = options.field
  }

  readonly field?: string
}

export class ConfigError extends RdcError {
  readonly kind = 'config'
}

export class NotFoundError extends RdcError {
  readonly kind = 'notFound'
}

export class HostKeyError extends RdcError {
  readonly kind = 'hostKey'
}

export class ConnectionError extends RdcError {
  readonly kind = 'connection'
}

export class RemoteError extends RdcError {
  readonly kind = 'remote'
  constructor(
    message: string,
    readonly details: {host?: string; command?: string; exitCode?: number | null; stderr?: string} = {},
    options: {suggestion?: string; cause?: unknown} = {},
  ) {
    super(message, options)
  }
}

/** The user (or a CI runner's cancel) stopped the command. */
export class InterruptedError extends RdcError {
  readonly kind = 'interrupted'
}

export class ConflictError extends RdcError {
  readonly kind = 'conflict'
}

/** A finished operation that reports failure (diagnose found problems, a machine failed in a batch). */
export class FailureError extends RdcError {
  readonly kind = 'failure'
}

/** `rdc dns check`: Cloudflare differs from the plan. */
export class DriftError extends RdcError {
  readonly kind = 'drift'
}

/** Cloudflare's API refused or failed a request (src/dns/cloudflare/explain.ts words it). */
export class CloudflareError extends RdcError {
  readonly kind = 'cloudflare'
}

/** `rdc repo up`: a container with traefik.enable=true got no route. */
export class UnroutedError extends RdcError {
  readonly kind = 'unrouted'
}

/** `rdc context push-infra --check`: a machine differs from what a push would make. */
export class InfraDriftError extends RdcError {
  readonly kind = 'infraDrift'
}

export class BugError extends RdcError {
  readonly kind = 'bug'
}

/** `rdc <something that is not a command>` (src/hooks/command-not-found.ts). */
export class UnknownCommandError extends RdcError {
  readonly kind = 'unknownCommand'
}

/** An error that only has an exit code (oclif's own errors, `this.error(…, {exit})`): the kind of that code. */
export class CodedError extends RdcError {
  readonly kind: ExitKind
  constructor(exitCode: number, message: string, options: {suggestion?: string; cause?: unknown} = {}) {
    super(message, options)
    const kind = (Object.keys(EXIT_CODES) as ExitKind[]).find((k) => EXIT_CODES[k].code === exitCode)
    this.kind = kind === undefined || kind === 'ok' ? 'failure' : kind
  }
}

/** A failed command's `--json` answer: `{error: {kind, exitCode, message, suggestion?, field?}}`. */
export function errorJson(err: RdcError): {error: RdcErrorJson} {
  return {error: err.toJSON()}
}
