/**
 * Command line of `renet compose [options] [--] <docker compose args…>`. renet's own options come first; the
 * compose files may be given either there or among docker compose's global options (`-f`/`--file`), and are
 * taken out of the arguments so renet can pass them together with its override.
 */
import {UsageError} from '../../errors.js'
import type {RepositoryFlags} from './repository.js'

export interface ComposeArgs {
  flags: RepositoryFlags
  files: string[]
  /** What is passed to docker compose after the files. */
  composeArgs: string[]
  help: boolean
}

const REPO_FLAGS: Record<string, keyof RepositoryFlags> = {
  '--repo-path': 'repoPath',
  '--network-id': 'networkId',
  '--name': 'name',
  '--docker-host': 'dockerHost',
}

/** docker compose global options that take a value (so the word after them is not the subcommand). */
const VALUE_OPTIONS = new Set([
  '-p', '--project-name', '--project-directory', '--env-file', '--profile', '--log-level', '-H', '--host',
  '-c', '--context', '--tlscacert', '--tlscert', '--tlskey', '--ansi', '--parallel', '--progress',
])

function isFileOption(arg: string): boolean {
  return arg === '-f' || arg === '--file'
}

/** Takes `-f x`, `--file x`, `--file=x`, `-fx` out of the global options that precede the subcommand. */
function extractFiles(args: string[], files: string[]): string[] {
  const rest: string[] = []
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i]
    if (isFileOption(arg)) {
      const value = args[++i]
      if (value === undefined) throw new UsageError(`${arg} needs a file`, {field: 'file'})
      files.push(value)
    } else if (arg.startsWith('--file=')) files.push(arg.slice('--file='.length))
    else if (arg.startsWith('-f') && arg.length > 2 && !arg.startsWith('--')) files.push(arg.slice(2))
    else if (VALUE_OPTIONS.has(arg)) {
      rest.push(arg)
      if (i + 1 < args.length) rest.push(args[++i])
    } else if (arg.startsWith('-')) rest.push(arg)
    else break
  }

  return [...rest, ...args.slice(i)]
}

export function parseComposeArgs(argv: readonly string[]): ComposeArgs {
  const flags: RepositoryFlags = {}
  const files: string[] = []
  let help = false
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      i++
      break
    }

    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const key = REPO_FLAGS[name]
    if (key !== undefined) {
      const value = inline ?? argv[++i]
      if (value === undefined) throw new UsageError(`${name} needs a value`, {field: name.slice(2)})
      flags[key] = value
    } else if (arg === '--help' || arg === '-h') {
      help = true
    } else if (isFileOption(name)) {
      const value = inline ?? argv[++i]
      if (value === undefined) throw new UsageError(`${name} needs a file`, {field: 'file'})
      files.push(value)
    } else break
  }

  const composeArgs = extractFiles(argv.slice(i), files)
  return {flags, files, composeArgs, help}
}
