/**
 * The last known containers of every daemon, kept in the state folder (containers.json). A router restarted
 * while a daemon does not answer starts from what that daemon last said, instead of serving a configuration
 * without its routes (Traefik would drop them). Written atomically, at most once per interval.
 */
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {writeFileAtomic} from '../atomic-file.js'
import type {ContainerInfo} from './types.js'

export interface SnapshotEntry {
  networkId: number
  containers: ContainerInfo[]
}

export function readSnapshot(stateDir: string): Map<string, SnapshotEntry> {
  const out = new Map<string, SnapshotEntry>()
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(join(stateDir, 'containers.json'), 'utf8'))
  } catch {
    return out
  }

  const daemons = (parsed as {daemons?: unknown}).daemons
  if (daemons === null || typeof daemons !== 'object') return out
  for (const [socket, entry] of Object.entries(daemons as Record<string, SnapshotEntry>)) {
    if (!Number.isInteger(entry?.networkId) || !Array.isArray(entry.containers)) continue
    const containers = entry.containers.filter(
      (c) => typeof c?.id === 'string' && typeof c.name === 'string' && c.labels !== null && typeof c.labels === 'object' && Number.isFinite(c.created),
    )
    out.set(socket, {networkId: entry.networkId, containers: containers.map((c) => ({...c, health: typeof c.health === 'string' ? c.health : ''}))})
  }

  return out
}

export function writeSnapshot(stateDir: string, daemons: Map<string, SnapshotEntry>): void {
  mkdirSync(stateDir, {recursive: true})
  const file = join(stateDir, 'containers.json')
  writeFileAtomic(file, JSON.stringify({version: 1, daemons: Object.fromEntries(daemons)}), 0o600)
}
