/**
 * The remote work of repo up/down/status/delete as data: each builder returns the argv of one exec (scripts get
 * their values as positional arguments, never spliced into the script text). src/remote/step.ts runs them.
 */
import {type RemoteStep, scriptStep} from '../remote/step.js'
import {ROUTER_ADDRESS, ROUTER_URL} from '../layout/server.js'
import type {RepoLocation} from './layout.js'


/**
 * One exec that tells what the server has: `key=value` lines (renet, the daemon unit template, the repository's
 * mount and image, whether its daemon runs). Read by parseRepoProbe.
 */
export function probeStep(loc: RepoLocation): RemoteStep {
  return scriptStep(
    'probe',
    [
      'if [ -x "$1" ]; then echo renet=yes; else echo renet=no; fi',
      'if [ -f /etc/systemd/system/rediacc-docker@.service ]; then echo unit=yes; else echo unit=no; fi',
      'if mountpoint -q "$2" 2>/dev/null; then echo mounted=yes; else echo mounted=no; fi',
      'if [ -f "$3" ]; then echo image=yes; else echo image=no; fi',
      'if [ -S "$4" ]; then echo socket=yes; else echo socket=no; fi',
      'echo "daemon=$(systemctl is-active "$5" 2>/dev/null)"',
    ].join('\n'),
    [loc.renet, loc.path, loc.image, loc.socket, loc.unit],
  )
}

export interface Probe {
  renet: boolean
  unit: boolean
  mounted: boolean
  image: boolean
  socket: boolean
  /** systemctl is-active's word: active, inactive, failed, activating… */
  daemon: string
}

/** Reads probeStep's `key=value` report on the repository's side of the server. */
export function parseRepoProbe(stdout: string): Probe {
  const values = new Map(stdout.split('\n').flatMap((line) => {
    const eq = line.indexOf('=')
    return eq > 0 ? [[line.slice(0, eq), line.slice(eq + 1).trim()] as const] : []
  }))
  const yes = (key: string): boolean => values.get(key) === 'yes'
  return {renet: yes('renet'), unit: yes('unit'), mounted: yes('mounted'), image: yes('image'), socket: yes('socket'), daemon: values.get('daemon') || 'unknown'}
}

/**
 * A sparse image with ext4, made only when missing (a second run never reformats data). Written beside and
 * renamed, so a cut run leaves no half-formatted image under the real name.
 */
export function createImageStep(loc: RepoLocation, size: string): RemoteStep {
  return scriptStep(
    'create image',
    [
      'set -e',
      '[ -f "$1" ] && exit 0',
      'mkdir -p "$(dirname "$1")"',
      'tmp="$1.rdc-new"',
      'rm -f "$tmp"',
      'truncate -s "$2" "$tmp"',
      'mkfs.ext4 -F -q "$tmp"',
      'mv "$tmp" "$1"',
    ].join('\n'),
    [loc.image, size],
    120_000,
  )
}

/**
 * Mounts the image at the repository path through a free loop device (nothing when already mounted). `-o loop`
 * sets the device's autoclear flag: it is detached by the unmount, or when its mount goes away any other way.
 */
export function mountStep(loc: RepoLocation): RemoteStep {
  return scriptStep(
    'mount',
    [
      'set -e',
      'mountpoint -q "$2" && exit 0',
      'mkdir -p "$2"',
      'mount -o loop "$1" "$2"',
      'findmnt -n -o SOURCE --target "$2"',
    ].join('\n'),
    [loc.image, loc.path],
    60_000,
  )
}

/** Unmounts the repository path and detaches its loop device (nothing when not mounted). */
export function unmountStep(loc: RepoLocation): RemoteStep {
  return scriptStep(
    'unmount',
    [
      'set -e',
      'mountpoint -q "$1" || exit 0',
      'dev=$(findmnt -n -o SOURCE --target "$1")',
      'umount "$1"',
      'case "$dev" in /dev/loop*) losetup -d "$dev" 2>/dev/null || true ;; esac',
      'echo "$dev"',
    ].join('\n'),
    [loc.path],
    60_000,
  )
}

/**
 * Starts the repository's daemon and waits for its socket. The unit is Type=notify, so `systemctl start`
 * returns once dockerd is ready; the wait covers a socket that appears a moment later.
 */
export function startDaemonStep(loc: RepoLocation, waitMs = 30_000): RemoteStep {
  return scriptStep(
    'start daemon',
    [
      'systemctl start "$1" || exit 3',
      `i=0; while [ ! -S "$2" ]; do i=$((i+1)); [ "$i" -gt ${Math.ceil(waitMs / 200)} ] && exit 4; sleep 0.2; done`,
    ].join('\n'),
    [loc.unit, loc.socket],
    waitMs + 150_000,
  )
}

export function stopDaemonStep(loc: RepoLocation): RemoteStep {
  return {label: 'stop daemon', argv: ['systemctl', 'stop', loc.unit], timeoutMs: 120_000}
}

export function journalStep(loc: RepoLocation, lines = 20): RemoteStep {
  return {label: 'journal', argv: ['journalctl', '-u', loc.unit, '-n', String(lines), '--no-pager', '-o', 'cat'], timeoutMs: 15_000}
}

export function rediaccfileStep(loc: RepoLocation, action: 'prep' | 'up' | 'down'): RemoteStep {
  return {
    label: action,
    argv: [loc.renet, 'rediaccfile', action, '--path', loc.path, '--network-id', String(loc.networkId), '--name', loc.name, '--docker-host', loc.dockerHost],
  }
}

/** Containers of the repository's daemon, one JSON object a line (`docker ps --format '{{json .}}'`). */
export function containersStep(loc: RepoLocation): RemoteStep {
  return {label: 'containers', argv: ['docker', '-H', loc.dockerHost, 'ps', '--all', '--no-trunc', '--format', '{{json .}}'], timeoutMs: 30_000}
}

export function runningContainersStep(loc: RepoLocation): RemoteStep {
  return scriptStep('running containers', '[ -S "$1" ] || exit 0\nexec docker -H "unix://$1" ps --quiet', [loc.socket], 30_000)
}

export function routesStep(url = `${ROUTER_URL}/routes.json`): RemoteStep {
  return {label: 'routes', argv: ['curl', '-fsS', '--max-time', '5', url], timeoutMs: 15_000}
}

export function routerHealthStep(url = `${ROUTER_URL}/health`): RemoteStep {
  return {label: 'router health', argv: ['curl', '-sS', '--max-time', '5', url], timeoutMs: 15_000}
}

/** Why a routes/health step got no answer, in the words status and repo up both show. */
export function routerSilent(run: {code: number; stderr: string}): string {
  return `the route server did not answer on ${ROUTER_ADDRESS} (${(run.stderr || `exit ${run.code}`).trim()})`
}

/** `repo delete --purge`: the files, the image and the daemon's data. Refuses while the path is mounted. */
export function purgeStep(loc: RepoLocation): RemoteStep {
  return scriptStep(
    'purge',
    [
      'set -e',
      'if mountpoint -q "$1"; then echo "$1 is still mounted; run rdc repo down --unmount first" >&2; exit 5; fi',
      'systemctl stop "$4" 2>/dev/null || true',
      // dockerd leaves its data root (and what a killed daemon had below it) mounted: deepest first, then remove.
      'findmnt -rn -o TARGET | awk -v p="$3" \'$0 == p || index($0, p "/") == 1\' | sort -r | while read -r m; do umount "$m"; done',
      'rm -rf -- "$1" "$2" "$3"',
    ].join('\n'),
    [loc.path, loc.image, loc.dockerData, loc.unit],
    120_000,
  )
}
