import {CONFIG_VERSION} from './schema.js'

/**
 * Ordered migrations of the raw (parsed, not yet validated) context file. Each takes a document of version
 * `from` and returns one of version `from + 1`; reading applies every step from the file's version up to
 * CONFIG_VERSION, and the next write stores the result.
 */
export interface Migration {
  from: number
  describe: string
  migrate(doc: Record<string, unknown>): Record<string, unknown>
}

export const MIGRATIONS: readonly Migration[] = [
  {
    // Files written before the format was versioned had no `version` and kept each machine's key path as
    // `sshKey`; the schema calls it privateKeyPath.
    from: 0,
    describe: 'add version; machines.*.sshKey → privateKeyPath',
    migrate(doc) {
      const contexts = (doc.contexts ?? {}) as Record<string, {machines?: Record<string, Record<string, unknown>>}>
      for (const context of Object.values(contexts)) {
        for (const machine of Object.values(context?.machines ?? {})) {
          if (machine && 'sshKey' in machine) {
            if (machine.privateKeyPath === undefined) machine.privateKeyPath = machine.sshKey
            delete machine.sshKey
          }
        }
      }
      return {...doc, version: 1}
    },
  },
]

export class MigrationError extends Error {}

/** Brings a raw document to CONFIG_VERSION. Returns the document and the versions it passed through. */
export function migrate(doc: Record<string, unknown>): {doc: Record<string, unknown>; from: number} {
  const from = doc.version === undefined ? 0 : doc.version
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new MigrationError(`version must be a whole number, not ${JSON.stringify(from)}`)
  }
  if (from > CONFIG_VERSION) {
    throw new MigrationError(`version ${from} was written by a newer rdc (this one reads up to ${CONFIG_VERSION})`)
  }
  let current = structuredClone(doc)
  for (let v = from; v < CONFIG_VERSION; v++) {
    const step = MIGRATIONS.find((m) => m.from === v)
    if (!step) throw new MigrationError(`no migration from version ${v}`)
    current = step.migrate(current)
  }
  return {doc: current, from}
}
