// Entry point of `renet sync` (see USAGE and README.md).
import {parseArgs} from 'node:util'

import {UsageError} from '../../errors.js'
import {reportError} from '../report-error.js'
import {applyStream} from './apply.js'
import {buildManifest} from './manifest.js'

const USAGE = `Usage: renet sync <manifest|apply> --path DIR [--exclude PATTERN]…

  manifest   Print (JSON) every file, symlink and folder under DIR: size, mode and sha256, or link target.
  apply      Read a sync stream (RDCSYNC1) on stdin and apply it to DIR: write the changed files atomically,
             delete the listed paths; print the result (JSON).

Server state (.rediacc.json, .rediacc.json.*, .rediacc-compose.*, .rediacc-sync.*) is never listed, written
or deleted, nor is anything matching an --exclude pattern (gitignore-like: 'data/postgres/' or
'/data/postgres' for one folder, 'node_modules' for a name at any depth).

Options:
  --path DIR          the repository folder (REPOSITORY_PATH; --repo-path is the same)
  --exclude PATTERN   leave these paths alone (repeatable)
  --no-cache          manifest: hash every file instead of trusting the size/mtime/ctime cache

Exit codes: 0 done; 1 apply: some paths failed (listed in "errors"); 2 bad input or a refused stream
(nothing changed).
`

export async function main(argv: string[]): Promise<number> {
  const write = (text: string) => process.stderr.write(text)
  try {
    const [action, ...rest] = argv
    if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
      process.stdout.write(USAGE)
      return action === undefined ? 2 : 0
    }

    const {values} = parseFlags(rest)
    if (values.help) {
      process.stdout.write(USAGE)
      return 0
    }

    const path = values.path ?? values['repo-path'] ?? process.env.REPOSITORY_PATH
    if (path === undefined || path === '') {
      throw new UsageError('--path is required', {field: 'path', suggestion: 'Pass --path /mnt/rediacc/repos/<repo> (or set REPOSITORY_PATH).'})
    }

    const exclude = values.exclude ?? []
    if (action === 'manifest') {
      const manifest = await buildManifest(path, {exclude, cache: !values['no-cache']})
      process.stdout.write(`${JSON.stringify(manifest)}\n`)
      return 0
    }

    if (action === 'apply') {
      const result = await applyStream(path, process.stdin, {exclude})
      process.stdout.write(`${JSON.stringify(result)}\n`)
      if (result.error !== undefined) write(`renet sync: ${result.error}\n`)
      for (const e of result.errors) write(`renet sync: ${e.path === '' ? '' : `${e.path}: `}${e.message}\n`)
      return result.error === undefined ? (result.ok ? 0 : 1) : 2
    }

    throw new UsageError(`unknown action '${action}'`, {field: 'action', suggestion: 'Use `renet sync manifest` or `renet sync apply`.'})
  } catch (error) {
    return reportError('sync', error, write)
  }
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: false,
      options: {
        path: {type: 'string'},
        'repo-path': {type: 'string'},
        exclude: {type: 'string', multiple: true},
        'no-cache': {type: 'boolean'},
        help: {type: 'boolean', short: 'h'},
      },
    }) as {values: {path?: string; 'repo-path'?: string; exclude?: string[]; 'no-cache'?: boolean; help?: boolean}}
  } catch (error) {
    throw new UsageError((error as Error).message, {field: 'flags', suggestion: 'Run `renet sync --help` for the options.'})
  }
}
