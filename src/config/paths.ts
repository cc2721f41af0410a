import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Where the context file lives: the --config flag, else RDC_CONFIG, else $XDG_CONFIG_HOME/rediacc/config.yaml,
 * else ~/.config/rediacc/config.yaml. Resolved per call so tests (and CI) can point it anywhere by environment.
 */
export function configPath(flag?: string): string {
  if (flag) return flag
  if (process.env.RDC_CONFIG) return process.env.RDC_CONFIG
  const xdg = process.env.XDG_CONFIG_HOME
  const base = xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.config')
  return join(base, 'rediacc', 'config.yaml')
}

/** Expands a leading `~/` the way a shell would, for key paths written by hand. */
export function expandHome(path: string): string {
  if (path === '~') return homedir()
  if (path.startsWith('~/')) return join(homedir(), path.slice(2))
  return path
}
