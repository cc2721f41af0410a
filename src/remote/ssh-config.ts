import {readdirSync, readFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import {basename, dirname, isAbsolute, join} from 'node:path'

/** What ~/.ssh/config says about one host alias (first value wins, as in ssh). */
export interface SshConfigEntry {
  hostName?: string
  user?: string
  port?: number
  identityFiles: string[]
}

/** ssh's `*` and `?` patterns; host names compare without case, file names (Include) with it. */
function globToRegExp(pattern: string, flags = 'i'): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${escaped}$`, flags)
}

/** `Host a b !c` matches when some positive pattern matches and no negated one does. */
function hostMatches(patterns: string[], host: string): boolean {
  let matched = false
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(host)) return false
    } else if (globToRegExp(p).test(host)) matched = true
  }
  return matched
}

function splitArgs(rest: string): string[] {
  return [...rest.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2])
}

function expandTokens(value: string, vars: {host: string; user?: string}): string {
  const home = homedir()
  const expanded = value.replace(/%([%dhurL])/g, (_, t: string) => {
    if (t === '%') return '%'
    if (t === 'd') return home
    if (t === 'h') return vars.host
    if (t === 'r') return vars.user ?? userInfo().username
    if (t === 'u') return userInfo().username
    return vars.host.split('.')[0]
  })
  return expandHome(expanded)
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

/** The texts of the files an `Include` names (absolute, `~`-expanded or relative to ~/.ssh, glob in the last part). */
export type IncludeReader = (pattern: string) => string[]

/** ssh gives up beyond this depth of nested Includes (readconf.c's READCONF_MAX_DEPTH). */
const MAX_INCLUDE_DEPTH = 16

interface ParseState {
  entry: SshConfigEntry
  /** The alias as given (Match originalhost). */
  alias: string
  readInclude?: IncludeReader
}

/**
 * `Match` criteria ssh would evaluate here: all, host (the HostName so far), originalhost (the alias), user (the
 * remote user so far), localuser, final (ssh makes a final pass, so it matches); `!` negates one. canonical (no
 * canonicalisation here), exec (rdc runs no commands from a config file) and tagged never match.
 */
function matchApplies(args: string[], state: ParseState): boolean {
  const local = userInfo().username
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!.toLowerCase()
    const negate = raw.startsWith('!')
    const criterion = negate ? raw.slice(1) : raw
    let ok: boolean
    if (criterion === 'all' || criterion === 'final') ok = true
    else if (criterion === 'canonical') ok = false
    else {
      const value = args[++i]
      if (value === undefined) return false
      const patterns = value.split(',')
      if (criterion === 'host') ok = hostMatches(patterns, state.entry.hostName ?? state.alias)
      else if (criterion === 'originalhost') ok = hostMatches(patterns, state.alias)
      else if (criterion === 'user') ok = hostMatches(patterns, state.entry.user ?? local)
      else if (criterion === 'localuser') ok = hostMatches(patterns, local)
      else ok = false
    }

    if (ok === negate) return false
  }

  return true
}

function parseInto(text: string, state: ParseState, depth: number, startActive: boolean): void {
  const {entry} = state
  let active = startActive
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line)
    if (!m) continue
    const key = m[1].toLowerCase()
    const args = splitArgs(m[2])
    if (key === 'host') {
      active = hostMatches(args, state.alias)
      continue
    }
    if (key === 'match') {
      active = matchApplies(args, state)
      continue
    }
    if (!active || args.length === 0) continue
    if (key === 'include') {
      // An included file starts in the state of the block that includes it; that block goes on afterwards.
      if (depth < MAX_INCLUDE_DEPTH && state.readInclude) {
        for (const pattern of args) for (const text of state.readInclude(pattern)) parseInto(text, state, depth + 1, true)
      }
      continue
    }
    if (key === 'hostname' && entry.hostName === undefined) entry.hostName = args[0].replace(/%h/g, state.alias)
    else if (key === 'user' && entry.user === undefined) entry.user = args[0]
    else if (key === 'port' && entry.port === undefined && /^[0-9]+$/.test(args[0])) entry.port = Number(args[0])
    else if (key === 'identityfile') entry.identityFiles.push(args[0])
  }
}

/**
 * Parses ssh_config text for `host` as ssh does for the options rdc uses: first value wins, Host and Match blocks,
 * Include (through `readInclude`, which reads the files).
 */
export function parseSshConfig(text: string, host: string, readInclude?: IncludeReader): SshConfigEntry {
  const state: ParseState = {entry: {identityFiles: []}, alias: host, readInclude}
  parseInto(text, state, 0, true)
  const {entry} = state
  const vars = {host: entry.hostName ?? host, user: entry.user}
  entry.identityFiles = entry.identityFiles.map((f) => expandTokens(f, vars))
  return entry
}

/** Include files from disk: `~` expanded, relative paths under SSHDIR, a wildcard in the last part, sorted. */
export function includeReaderFor(sshDir: string): IncludeReader {
  return (pattern) => {
    const expanded = expandHome(pattern)
    const full = isAbsolute(expanded) ? expanded : join(sshDir, expanded)
    const dir = dirname(full)
    const name = basename(full)
    let names: string[]
    if (/[*?]/.test(name)) {
      try {
        names = readdirSync(dir).filter((n) => globToRegExp(name, '').test(n) && !n.startsWith('.')).sort()
      } catch {
        return []
      }
    } else names = [name]

    const files: string[] = []
    for (const n of names) {
      try {
        files.push(readFileSync(join(dir, n), 'utf8'))
      } catch {
        // ssh skips what it cannot read (a missing file, a folder).
      }
    }

    return files
  }
}

/** ~/.ssh/config for `host` (with its Includes), or an empty entry when there is no such file. */
export async function readSshConfig(host: string, path = join(homedir(), '.ssh', 'config')): Promise<SshConfigEntry> {
  try {
    // Relative Includes are under ~/.ssh, the folder of the user's file (a config given elsewhere: its own folder).
    return parseSshConfig(await readFile(path, 'utf8'), host, includeReaderFor(dirname(path)))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {identityFiles: []}
    throw error
  }
}
