/**
 * One deploy at a time per repository: `repo up` and `repo down` hold a lock on the server for their whole run.
 *
 * The lock is an exec on the same SSH connection that takes flock(1) on the repository's lock file and then reads
 * its stdin until rdc closes it. It therefore goes away by itself when rdc is done, is interrupted or killed, or
 * loses the connection (sshd closes the command's stdin and `cat` ends), so there is never a stale lock to clear
 * by hand. A killed rdc does not stop what it started on the server, though (sshd lets a command without a
 * terminal run on), so every command of the locked run records its pid, and the lock is only let go once those
 * have ended: a second run never overlaps the remains of the first. Whoever holds the lock is written beside it,
 * so a refused or waiting run can say who and since when.
 */
import {hostname, userInfo} from 'node:os'

import {ConflictError, RemoteError} from '../errors.js'
import {SOCKET_DIR} from '../layout/server.js'
import type {Transport} from '../remote/transport.js'
import type {RepoLocation} from './layout.js'

/** Exit code of the lock script when another run holds the lock (EX_TEMPFAIL). */
const BUSY = 75
const LOCKED = 'rdc-lock: locked'
const WAITING = 'rdc-lock: waiting'

function repoLockPath(loc: Pick<RepoLocation, 'networkId'>): string {
  return `${SOCKET_DIR}/locks/repo-${loc.networkId}.lock`
}

/** Values reach the script as positional arguments, never spliced into its text. */
const LOCK_SCRIPT = [
  'lock="$1"; holder="$1.holder"; pids="$1.pids"',
  'mkdir -p "$(dirname "$lock")" || exit 70',
  'exec 9>>"$lock" || exit 70',
  `busy() { echo busy; cat "$holder" 2>/dev/null; exit ${BUSY}; }`,
  'if ! flock -n 9; then',
  '  [ "$3" = 0 ] && busy',
  `  echo "${WAITING}"; cat "$holder" 2>/dev/null`,
  '  flock -w "$3" 9 || busy',
  'fi',
  'printf "%s\\n" "$2" > "$holder"',
  ': > "$pids"',
  `echo "${LOCKED}"`,
  // Held while stdin stays open, then while any command of this run still runs (its client may be gone).
  'cat > /dev/null',
  'while read -r pid; do while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; done < "$pids"',
  // The files go before the lock does (fd 9 closes when the shell exits).
  'rm -f "$holder" "$pids"',
].join('\n')

/** Runs argv after appending its pid (the same process, through exec) to the lock's pid list. */
const RECORD_PID = 'echo $$ >> "$0" && exec "$@"'

export interface RepoLockOptions {
  action: 'up' | 'down' | 'delete'
  /** Seconds to wait for another run to finish; 0 refuses at once. */
  waitSeconds: number
  /** Told when the lock is taken by someone else and this run waits. */
  progress?: (line: string) => void
}

export interface RepoLock {
  /** The connection, with every command recorded as part of this run (so the lock outlives none of them). */
  transport: Transport
  /** Sends SIGTERM to every command of this run still running on the server (renet stops its step's processes). */
  interrupt(): Promise<void>
  release(): Promise<void>
}

const INTERRUPT_SCRIPT = 'while read -r pid; do kill -TERM "$pid" 2>/dev/null; done < "$0"; exit 0'

function recordingTransport(t: Transport, pidsFile: string): Transport {
  return {
    exec: (argv, opts) => t.exec(['sh', '-c', RECORD_PID, pidsFile, ...argv], opts),
    put: (path, content, opts) => t.put(path, content, opts),
    get: (path) => t.get(path),
    close: () => t.close(),
  }
}

function describeHolder(action: string, repository: string): string {
  let user = 'someone'
  try {
    user = userInfo().username
  } catch {}

  return `rdc repo ${action} ${repository} by ${user}@${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`
}

export async function acquireRepoLock(t: Transport, loc: RepoLocation, machine: string, o: RepoLockOptions): Promise<RepoLock> {
  const lockPath = repoLockPath(loc)
  let stdout = ''
  let reportedWait = false
  let onLocked!: () => void
  const locked = new Promise<void>((resolve) => (onLocked = resolve))
  let letGo!: () => void
  const released = new Promise<void>((resolve) => (letGo = resolve))

  const run = t.exec(['sh', '-c', LOCK_SCRIPT, 'rdc-repo-lock', lockPath, describeHolder(o.action, loc.name), String(Math.max(0, Math.round(o.waitSeconds)))], {
    holdStdin: released,
    onStdout: (chunk) => {
      stdout += chunk.toString('utf8')
      if (stdout.includes(`${LOCKED}\n`)) onLocked()
      else if (!reportedWait && stdout.includes(`${WAITING}\n`) && stdout.split('\n').length > 2) {
        reportedWait = true
        o.progress?.(`${machine}: waiting up to ${o.waitSeconds} s for ${heldBy(stdout)}`)
      }
    },
  })
  // Settles either way; a connection lost while the lock is held surfaces through the steps that follow.
  const finished = run.then(
    (r) => ({r, error: undefined}),
    (error: unknown) => ({r: undefined, error}),
  )

  const first = await Promise.race([locked.then(() => 'locked' as const), finished])
  if (first === 'locked') {
    const pidsFile = `${lockPath}.pids`
    return {
      transport: recordingTransport(t, pidsFile),
      async interrupt() {
        await t.exec(['sh', '-c', INTERRUPT_SCRIPT, pidsFile], {timeoutMs: 10_000})
      },
      async release() {
        letGo()
        await finished
      },
    }
  }

  letGo()
  if (first.error) throw first.error
  const r = first.r!
  if (r.code === BUSY) {
    const waited = o.waitSeconds > 0 ? ` (waited ${o.waitSeconds} s)` : ''
    throw new ConflictError(`Repository "${loc.name}" on ${machine} is busy${waited}: ${heldBy(r.stdout)}.`, {
      suggestion: o.action === 'delete' ? 'Let that run finish, then delete.' : `Let that run finish and try again, or wait for it: rdc repo ${o.action} ${loc.name} --lock-wait 300`,
    })
  }

  const detail = (r.stderr || r.stdout).trim()
  throw new RemoteError(`Taking the deploy lock ${lockPath} failed on ${machine} (exit ${r.code})${detail ? `: ${detail}` : ''}`, {host: machine, command: 'flock', exitCode: r.code, stderr: r.stderr}, {
    suggestion: `The server needs flock(1) (util-linux) and a writable ${SOCKET_DIR}.`,
  })
}

/** The holder line the script printed after "busy" / "waiting", or a fallback when it had not been written yet. */
function heldBy(stdout: string): string {
  const lines = stdout.split('\n').map((l) => l.trim())
  const holder = lines.find((l) => l.startsWith('rdc repo '))
  return holder ? `held by ${holder}` : 'another run holds its deploy lock'
}
