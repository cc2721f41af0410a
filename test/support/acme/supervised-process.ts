/**
 * Child processes (Pebble, challtestsrv, Traefik in the tests) that cannot outlive the test process.
 *
 * Each program runs under a small `sh` watchdog whose stdin is a pipe from us. When that pipe closes — stop(),
 * or this process ending in ANY way, SIGKILL included, because the kernel closes our end then — the watchdog
 * sends the program SIGTERM and waits for it. An 'exit' hook alone would miss a vitest worker killed by a
 * signal; the pipe does not. A program that ignores SIGTERM gets SIGKILL from stop() after `killAfterMs`.
 */
import {spawn} from 'node:child_process'

import {processAlive} from '../../../src/process-alive.js'

export interface Supervised {
  name: string
  /** The program's own pid (not the watchdog's). */
  pid: number
  /** Its stdout and stderr interleaved, the last 1 MB. */
  output(): string
  /** Lines of output so far, for tests that parse logs (e.g. Traefik's JSON lines). */
  lines(): string[]
  running(): boolean
  /** Resolves with the exit code (128+signal when killed) once the program and its watchdog are gone. */
  exited: Promise<number>
  stop(): Promise<void>
}

const live = new Set<Supervised>()
let hooked = false

function hookExit(): void {
  if (hooked) return
  hooked = true
  // Synchronous last resort for a normal exit; the stdin pipe covers every other way of dying.
  process.on('exit', () => {
    for (const s of live) {
      try {
        process.kill(s.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  })
}

// "$@" is the program; fd 3 keeps the pipe for the watcher, because an asynchronous list's stdin is /dev/null.
const WATCHDOG =
  'exec 3<&0; "$@" </dev/null 3<&- & c=$!; echo "supervised-pid $c" >&2; ' +
  '( read _ <&3; kill -TERM $c 2>/dev/null ) & w=$!; exec 3<&-; ' +
  'wait $c; s=$?; kill $w 2>/dev/null; exit $s'

const MAX_OUTPUT = 1 << 20

export async function startSupervised(
  name: string,
  command: string,
  args: string[],
  options: {env?: NodeJS.ProcessEnv; cwd?: string; killAfterMs?: number; onLine?: (line: string) => void} = {},
): Promise<Supervised> {
  hookExit()
  const child = spawn('sh', ['-c', WATCHDOG, 'sh', command, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let pending = ''
  const lines: string[] = []
  let resolvePid: (pid: number) => void = () => {}
  const pidKnown = new Promise<number>((resolve) => (resolvePid = resolve))
  const take = (chunk: Buffer): void => {
    pending += chunk.toString()
    let i: number
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i)
      pending = pending.slice(i + 1)
      const m = /^supervised-pid (\d+)$/.exec(line)
      if (m) {
        resolvePid(Number(m[1]))
        continue
      }
      lines.push(line)
      if (lines.length > 20_000) lines.splice(0, lines.length - 20_000)
      out += `${line}\n`
      if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT)
      options.onLine?.(line)
    }
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  // EPIPE when the watchdog is already gone is expected at stop(); nothing to report.
  child.stdin!.on('error', () => {})
  let code: number | undefined
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (c, signal) => {
      code = c ?? 128 + (signal === 'SIGKILL' ? 9 : 15)
      resolve(code)
    })
  })
  const pid = await Promise.race([pidKnown, exited.then(() => -1)])
  if (pid < 0) throw new Error(`${name} did not start: ${out}`)

  const self: Supervised = {
    name,
    pid,
    output: () => out + pending,
    lines: () => [...lines],
    running: () => code === undefined,
    exited,
    async stop() {
      if (code === undefined) {
        child.stdin!.end()
        const timer = setTimeout(() => {
          if (processAlive(pid)) process.kill(pid, 'SIGKILL')
        }, options.killAfterMs ?? 5000)
        await exited
        clearTimeout(timer)
      }
      live.delete(self)
    },
  }
  live.add(self)
  void exited.then(() => live.delete(self))
  return self
}
