/**
 * The two server-side scripts of a push. Each runs as ONE command so the critical part cannot be split by a cut
 * connection: they ignore SIGHUP (sshd sends it when the session drops) and finish on their own.
 */

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
