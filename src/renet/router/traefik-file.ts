/**
 * Entry point names from Traefik's static configuration (traefik.yml): the keys of `entryPoints`, except
 * Traefik's internal `traefik` one (API and ping, loopback only; no router may use it). router.yaml's
 * `traefikConfig` points here, so a changed TCP/UDP port list reaches the route server with the proxy's own file.
 */
import {readFileSync, statSync} from 'node:fs'
import {parse} from 'yaml'

import {ConfigError} from '../../errors.js'
import {INTERNAL_ENTRY_POINT} from '../../net/entrypoints.js'

/** Traefik's own name for the entry point of its API and ping (what push-infra renders as `traefik`). */

/**
 * What identifies one version of the file without reading it: modification time, size and inode (an atomic
 * rename gives a new inode even within one timestamp tick). Null when the file cannot be looked at.
 */
export function fileStamp(path: string): string | null {
  try {
    const st = statSync(path)
    return `${st.mtimeMs}/${st.size}/${st.ino}`
  } catch {
    return null
  }
}

/** The routable entry point names in file order; a ConfigError when the file is missing or not usable. */
export function readTraefikEntryPoints(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      suggestion: 'Render it again with `rdc context push-infra`',
    })
  }

  let doc: unknown
  try {
    doc = parse(text)
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`, {
      suggestion: 'Render it again with `rdc context push-infra`',
    })
  }

  const entryPoints = (doc as {entryPoints?: unknown} | null)?.entryPoints
  if (entryPoints === null || typeof entryPoints !== 'object' || Array.isArray(entryPoints)) {
    throw new ConfigError(`${path}: has no entryPoints mapping`, {suggestion: 'Render it again with `rdc context push-infra`'})
  }

  return Object.keys(entryPoints).filter((name) => name !== INTERNAL_ENTRY_POINT)
}
