import {readFile} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import {join} from 'node:path'

/** What ~/.ssh/config says about one host alias (first value wins, as in ssh). */
export interface SshConfigEntry {
  hostName?: string
  user?: string
  port?: number
  identityFiles: string[]
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${escaped}$`, 'i')
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
  return expanded.startsWith('~/') ? join(home, expanded.slice(2)) : expanded
}

/** Parses ssh_config text for `host`. Match blocks are not evaluated (their settings are skipped). */
export function parseSshConfig(text: string, host: string): SshConfigEntry {
  const entry: SshConfigEntry = {identityFiles: []}
  let active = true
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line)
    if (!m) continue
    const key = m[1].toLowerCase()
    const args = splitArgs(m[2])
    if (key === 'host') {
      active = hostMatches(args, host)
      continue
    }
    if (key === 'match') {
      active = false
      continue
    }
    if (!active || args.length === 0) continue
    if (key === 'hostname' && entry.hostName === undefined) entry.hostName = args[0].replace(/%h/g, host)
    else if (key === 'user' && entry.user === undefined) entry.user = args[0]
    else if (key === 'port' && entry.port === undefined && /^[0-9]+$/.test(args[0])) entry.port = Number(args[0])
    else if (key === 'identityfile') entry.identityFiles.push(args[0])
  }
  const vars = {host: entry.hostName ?? host, user: entry.user}
  entry.identityFiles = entry.identityFiles.map((f) => expandTokens(f, vars))
  return entry
}

/** ~/.ssh/config for `host`, or an empty entry when there is no such file. */
export async function readSshConfig(host: string, path = join(homedir(), '.ssh', 'config')): Promise<SshConfigEntry> {
  try {
    return parseSshConfig(await readFile(path, 'utf8'), host)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {identityFiles: []}
    throw error
  }
}
