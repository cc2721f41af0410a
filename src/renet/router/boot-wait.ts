/**
 * After a boot the socket folder (on /run) is empty until the repositories' daemons start, so "every daemon found
 * has answered" holds at once and an empty configuration would be served: Traefik would drop every route. The
 * route server therefore expects the daemons whose units are enabled (`rediacc-docker@<id>.service` in a
 * `*.wants` folder, where `repo up` puts them) and answers 503 on /traefik until each has answered, or a bound has
 * passed. Once settled it stays settled: a daemon stopped later is the ordinary case the rest of the router handles.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {isValidNetworkId} from '../../net/network.js'

export const DEFAULT_SYSTEMD_DIR = '/etc/systemd/system'
/** The longest the route server waits for an expected daemon (a slow boot mounts images and starts dockerds). */
export const BOOT_WAIT_MS = 90_000

const UNIT_PATTERN = /^rediacc-docker@(\d+)\.service$/

/** Network ids of the enabled repository daemons: instances of the template linked from any `*.wants` folder. */
export function enabledRepositoryDaemons(systemdDir = DEFAULT_SYSTEMD_DIR): number[] {
  const ids = new Set<number>()
  let entries: string[]
  try {
    entries = readdirSync(systemdDir).filter((name) => name.endsWith('.wants'))
  } catch {
    return []
  }

  for (const wants of entries) {
    let names: string[]
    try {
      names = readdirSync(join(systemdDir, wants))
    } catch {
      continue
    }

    for (const name of names) {
      const m = UNIT_PATTERN.exec(name)
      if (m && isValidNetworkId(Number(m[1]))) ids.add(Number(m[1]))
    }
  }

  return [...ids].sort((a, b) => a - b)
}

export interface ExpectedDaemon {
  networkId: number
  socket: string
}

export interface WaitingDaemon extends ExpectedDaemon {
  /** `no socket`: its daemon has not started yet; `not answered`: the socket is there, no list has come back. */
  state: 'no socket' | 'not answered'
}

/** What /health says about the wait, and what /traefik answered meanwhile (an empty 200 is counted apart). */
export interface BootWaitStatus {
  expected: number[]
  waitingFor: WaitingDaemon[]
  settled: boolean
  /** Why it settled: every expected daemon answered, or the bound passed first. */
  settledBy: 'answered' | 'bound' | null
  settledAt: string | null
  boundMs: number
  traefikAnswers: {unavailable: number; ok: number; empty: number}
}

export class BootWait {
  private readonly started = Date.now()
  private settledBy: 'answered' | 'bound' | null = null
  private settledAt: Date | null = null
  private waiting: WaitingDaemon[]
  readonly answers = {unavailable: 0, ok: 0, empty: 0}

  constructor(
    readonly expected: ExpectedDaemon[],
    readonly boundMs = BOOT_WAIT_MS,
  ) {
    this.waiting = expected.map((e) => ({...e, state: 'no socket'}))
  }

  /** Milliseconds until the bound passes (0 once settled). */
  remainingMs(now = Date.now()): number {
    return this.settledBy === null ? Math.max(0, this.started + this.boundMs - now) : 0
  }

  /**
   * True once every expected daemon is found and known (answered, or its snapshot stands in after a failure), or
   * the bound passed. `known(socket)` is undefined for a socket the router has not found.
   */
  settled(known: (socket: string) => boolean | undefined, now = Date.now()): boolean {
    if (this.settledBy !== null) return true
    this.waiting = this.expected.flatMap((e): WaitingDaemon[] => {
      const k = known(e.socket)
      return k === true ? [] : [{...e, state: k === undefined ? 'no socket' : 'not answered'}]
    })
    if (this.waiting.length === 0) this.settle('answered')
    else if (now - this.started >= this.boundMs) this.settle('bound')
    return this.settledBy !== null
  }

  private settle(by: 'answered' | 'bound'): void {
    this.settledBy = by
    this.settledAt = new Date()
  }

  /** Counts one /traefik answer: null while unavailable (503), else whether the configuration had any router. */
  noteAnswer(routers: number | null): void {
    if (routers === null) this.answers.unavailable++
    else if (routers === 0) this.answers.empty++
    else this.answers.ok++
  }

  status(): BootWaitStatus {
    return {
      expected: this.expected.map((e) => e.networkId),
      waitingFor: this.settledBy === null ? this.waiting : [],
      settled: this.settledBy !== null,
      settledBy: this.settledBy,
      settledAt: this.settledAt?.toISOString() ?? null,
      boundMs: this.boundMs,
      traefikAnswers: {...this.answers},
    }
  }
}
