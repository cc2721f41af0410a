/**
 * The steps of a push, each a named builder beside its server-side script, so plan.ts only decides which run.
 * Scripts take their values as positional arguments. The commit and the rollback each run as ONE command so the
 * critical part cannot be split by a cut connection: they ignore SIGHUP (sshd sends it when the session drops)
 * and finish on their own.
 */
import {posix} from 'node:path'

import {Secret} from '../../config/secret.js'
import {scriptStep} from '../../remote/step.js'
import type {RenderedFile} from '../render/rendered-file.js'
import type {ServerCommands} from './server-commands.js'
import type {ExecStep, Service, UploadStep} from './types.js'

/**
 * Prepare: creates the target folders and removes what an earlier push cut in the middle of an upload left
 * beside the targets (its staged file and the upload's own temp file, `.<staged>.rdc-<random>`), so a re-run
 * leaves nothing behind. Arguments: folders, `--`, then staged paths.
 */
export const PREPARE_SCRIPT = String.raw`
set -e
while [ $# -gt 0 ] && [ "$1" != -- ]; do mkdir -p "$1"; shift; done
[ $# -gt 0 ] && shift
for s in "$@"; do rm -f -- "$s" "$(dirname "$s")/.$(basename "$s").rdc-"*; done
`

/**
 * Commit: records the pending service actions, backs up every target that exists, then renames the staged
 * files (and new links) into place. Arguments: backupDir id pendingFile services, then triples
 * `F target stagedPath` or `L target linkTarget`.
 */
export const COMMIT_SCRIPT = String.raw`
set -e
trap '' HUP INT TERM PIPE
backup=$1; id=$2; pending=$3; services=$4; shift 4
rm -rf "$backup"; mkdir -p "$backup"
echo "$id" > "$backup/.id"
: > "$backup/.created"
# Pending first: if the connection drops after the renames, the next push still restarts what it must.
printf '%s\n' $services > "$pending.tmp"; mv -f "$pending.tmp" "$pending"
while [ $# -gt 0 ]; do
  kind=$1; target=$2; src=$3; shift 3
  if [ -e "$target" ] || [ -L "$target" ]; then
    mkdir -p "$backup$(dirname "$target")"
    cp -a "$target" "$backup$target"
  else
    printf '%s\n' "$target" >> "$backup/.created"
  fi
  if [ "$kind" = L ]; then
    ln -sfn "$src" "$target.rdc-link"
    mv -fT "$target.rdc-link" "$target"
  else
    mv -fT "$src" "$target"
  fi
done
`

/**
 * Rollback: removes staged leftovers and, when the backup belongs to this push (same id), puts every backed-up
 * file back (copy beside, then rename) and removes the files this push created. Arguments: backupDir id
 * pendingFile, then staged paths.
 */
export const ROLLBACK_SCRIPT = String.raw`
trap '' HUP INT TERM PIPE
backup=$1; id=$2; pending=$3; shift 3
for s in "$@"; do rm -f "$s"; done
if [ -f "$backup/.id" ] && [ "$(cat "$backup/.id")" = "$id" ]; then
  (cd "$backup" && find . \( -type f -o -type l \) ! -path ./.id ! -path ./.created -print) | sed 's|^\.||' | while IFS= read -r target; do
    cp -a "$backup$target" "$target.rdc-restore" && mv -fT "$target.rdc-restore" "$target"
  done
  while IFS= read -r created; do [ -n "$created" ] && rm -f "$created"; done < "$backup/.created"
  echo restored
fi
rm -f "$pending"
exit 0
`

/**
 * After a successful switch: removes renet versions other than the current and the previous one (the previous
 * stays so a later rollback has a program to return to). Arguments: libDir current previous.
 */
export const PRUNE_RENET_SCRIPT = String.raw`
cd "$1" || exit 0
for v in *; do
  [ "$v" = current ] || [ "$v" = "$2" ] || [ "$v" = "$3" ] || [ -L "$v" ] || rm -rf -- "$v"
done
exit 0
`

function exec(label: string, argv: string[], more: {service?: Service; timeoutMs?: number} = {}): ExecStep {
  return {kind: 'exec', label, argv, ...more}
}

/** Where a file is uploaded before the commit renames it into place: beside it, so the rename is atomic. */
export function stagePath(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.rdc-staged`)
}

/** Creates the target folders and clears what an earlier cut upload left beside the targets. */
export function prepareStep(dirs: readonly string[], stagedPaths: readonly string[]): ExecStep {
  return {kind: 'exec', ...scriptStep('create folders', PREPARE_SCRIPT, [...dirs, '--', ...stagedPaths], undefined, 'rdc-prepare')}
}

/** Uploads one rendered file (at its server path `path`) to its staged path. */
export function uploadStep(path: string, bytes: number, file: RenderedFile): UploadStep {
  return {
    kind: 'upload',
    label: `upload ${path} (${bytes} bytes)`,
    path,
    stagePath: stagePath(path),
    // Wrapped so a logged or serialized plan can never show the secret; the executor reveals it to put().
    content: file.secret ? new Secret(String(file.content)) : file.content,
    mode: file.mode,
    ...(file.owner ? {owner: file.owner} : {}),
    secret: Boolean(file.secret),
  }
}

export interface CommitInput {
  backupDir: string
  /** The plan's id: marks the backup as this push's. */
  id: string
  pendingPath: string
  /** The service actions owed once the files are in place (recorded before the renames). */
  services: readonly Service[]
  /** Triples `F target stagedPath` or `L target linkTarget`. */
  entries: readonly string[]
  files: number
}

export function commitStep(c: CommitInput): ExecStep {
  const args = [c.backupDir, c.id, c.pendingPath, c.services.join(' '), ...c.entries]
  return {kind: 'exec', ...scriptStep(`commit ${c.files} file(s) with backups`, COMMIT_SCRIPT, args, undefined, 'rdc-commit')}
}

export function daemonReloadStep(commands: ServerCommands): ExecStep {
  return exec('systemctl daemon-reload', commands.daemonReload, {service: 'units'})
}

export function enableRouterStep(commands: ServerCommands): ExecStep {
  return exec('enable rediacc-router', commands.enableRouter)
}

export function restartRouterStep(commands: ServerCommands): ExecStep {
  return exec('restart rediacc-router', commands.restartRouter, {service: 'router', timeoutMs: 60_000})
}

export function recreateProxyStep(commands: ServerCommands): ExecStep {
  return exec('recreate rediacc-proxy', commands.recreateProxy, {service: 'proxy', timeoutMs: 180_000})
}

export function waitRouterStep(commands: ServerCommands): ExecStep {
  return exec('wait for rediacc-router /health', commands.waitRouter, {timeoutMs: 60_000})
}

export function waitProxyStep(commands: ServerCommands): ExecStep {
  return exec('wait for rediacc-proxy to run', commands.waitProxy, {timeoutMs: 60_000})
}

/** Keeps `current`'s version and the one it replaced (empty: none). */
export function pruneRenetStep(libDir: string, current: string, previous: string): ExecStep {
  return {kind: 'exec', ...scriptStep('remove renet versions older than the previous one', PRUNE_RENET_SCRIPT, [libDir, current, previous], undefined, 'rdc-prune')}
}

export function clearPendingStep(pendingPath: string): ExecStep {
  return exec('clear pending actions', ['rm', '-f', pendingPath])
}

/**
 * What undoes a failed push: the previous files back, then every service action again (the executor runs those
 * only for services this run had touched).
 */
export function rollbackSteps(c: {backupDir: string; id: string; pendingPath: string; stagedPaths: readonly string[]}, commands: ServerCommands): ExecStep[] {
  const restore = scriptStep('restore the previous files', ROLLBACK_SCRIPT, [c.backupDir, c.id, c.pendingPath, ...c.stagedPaths], undefined, 'rdc-rollback')
  return [{kind: 'exec', ...restore}, daemonReloadStep(commands), restartRouterStep(commands), recreateProxyStep(commands)]
}
