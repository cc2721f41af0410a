/**
 * What brings a repository back after the server reboots: `repo up` enables its daemon unit (the template's
 * [Install] puts it in multi-user.target.wants) and, for an image-backed repository, installs a systemd mount unit
 * for the image and a drop-in that makes the daemon require it (RequiresMountsFor= orders the mount first).
 * `repo down` disables the daemon; `repo delete --purge` removes all of it. The steps are data like the others in
 * steps.ts: values are positional arguments, never spliced into the script text.
 */
import type {Transport} from '../remote/transport.js'
import type {RepoLocation} from './layout.js'
import {type RemoteStep, runChecked, scriptStep} from '../remote/step.js'

export const SYSTEMD_DIR = '/etc/systemd/system'
/** The drop-in file beside the daemon instance (rediacc-docker@<id>.service.d/) that ties it to its mount. */
export const MOUNT_DROP_IN = 'rediacc-mount.conf'

function script(label: string, body: string[], args: string[], timeoutMs = 60_000): RemoteStep {
  return scriptStep(label, body.join('\n'), args, timeoutMs)
}

/** The mount unit's text for an image mounted at the repository path (Where= must be the unit name's path). */
export function mountUnitText(loc: RepoLocation): string {
  return [
    '# Managed by rdc (repo up --mount): the repository image, mounted before its daemon at boot.',
    '[Unit]',
    `Description=rediacc repository ${loc.name} (image)`,
    `RequiresMountsFor=${dirOf(loc.image)}`,
    '',
    '[Mount]',
    `What=${loc.image}`,
    `Where=${loc.path}`,
    'Type=ext4',
    'Options=loop',
    '',
  ].join('\n')
}

/** The daemon's drop-in: its repository's mount is required and comes first. */
export function mountDropInText(loc: RepoLocation): string {
  return ['# Managed by rdc (repo up --mount): the daemon starts only with its image mounted.', '[Unit]', `RequiresMountsFor=${loc.path}`, ''].join('\n')
}

function dirOf(path: string): string {
  return path.replace(/\/[^/]*$/, '') || '/'
}

/**
 * Enables the daemon unit; for an image-backed repository first writes the mount unit and the drop-in (only when
 * their text changed, then a daemon-reload). Prints `enabled=<unit>` and `mount=<mount unit>` lines.
 */
export function enableAtBootStep(loc: RepoLocation, imageBacked: boolean): RemoteStep {
  return script(
    'enable at boot',
    [
      'set -e',
      'changed=0',
      // put FILE TEXT: written beside and renamed, only when it differs.
      'put() { if [ -f "$1" ] && [ "$(cat "$1")" = "$(printf %s "$2")" ]; then return 0; fi; mkdir -p "$(dirname "$1")"; printf %s "$2" > "$1.rdc-new"; mv "$1.rdc-new" "$1"; changed=1; }',
      'if [ "$2" = yes ]; then',
      '  mu=$(systemd-escape -p --suffix=mount "$3")',
      `  put "${SYSTEMD_DIR}/$mu" "$4"`,
      `  put "${SYSTEMD_DIR}/$1.d/${MOUNT_DROP_IN}" "$5"`,
      '  echo "mount=$mu"',
      'fi',
      '[ "$changed" = 1 ] && systemctl daemon-reload',
      // enable reloads systemd each time: only when it is not enabled yet (a redeploy costs one is-enabled).
      'systemctl is-enabled --quiet "$1" 2>/dev/null || systemctl enable --quiet "$1"',
      'echo "enabled=$1"',
    ],
    [loc.unit, imageBacked ? 'yes' : 'no', loc.path, mountUnitText(loc), mountDropInText(loc)],
  )
}

/** `repo down`: the daemon no longer starts at boot (its mount unit stays, pulled in by nothing). */
export function disableAtBootStep(loc: RepoLocation): RemoteStep {
  return script('disable at boot', ['systemctl disable --quiet "$1"'], [loc.unit])
}

/** `repo delete --purge`: no boot entry, drop-in or mount unit is left, and systemd forgets them. */
export function removeBootEntriesStep(loc: RepoLocation): RemoteStep {
  return script(
    'remove boot entries',
    [
      'systemctl disable --quiet "$1" 2>/dev/null || true',
      'mu=$(systemd-escape -p --suffix=mount "$2")',
      `rm -f "${SYSTEMD_DIR}/$mu" "${SYSTEMD_DIR}/$1.d/${MOUNT_DROP_IN}"`,
      `rmdir "${SYSTEMD_DIR}/$1.d" 2>/dev/null || true`,
      'systemctl daemon-reload',
      'systemctl reset-failed "$1" "$mu" 2>/dev/null || true',
    ],
    [loc.unit, loc.path],
  )
}

export async function enableAtBoot(t: Transport, loc: RepoLocation, machine: string, imageBacked: boolean): Promise<void> {
  await runChecked(t, enableAtBootStep(loc, imageBacked), machine, `Enabling ${loc.unit} at boot`)
}

export async function disableAtBoot(t: Transport, loc: RepoLocation, machine: string): Promise<void> {
  await runChecked(t, disableAtBootStep(loc), machine, `Disabling ${loc.unit} at boot`)
}
