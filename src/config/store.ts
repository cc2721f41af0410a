import {lstat, mkdir, open, readFile, readlink, rename, stat, unlink} from 'node:fs/promises'
import {basename, dirname, resolve} from 'node:path'

import {ConfigError} from '../errors.js'
import {checkValues} from './file-checks.js'
import {acquireLock, type LockStep, removeLeftovers, uniqueSuffix} from './lock.js'
import {migrate, MigrationError} from './migrations.js'
import {CONFIG_VERSION, configSchema, type RdcConfig} from './schema.js'

type YamlModule = typeof import('yaml')

/**
 * Alias expansions a file may make. A hand-written context file needs none; the limit only stops an alias bomb
 * (a few lines that expand to billions of nodes) before it exhausts memory.
 */
const MAX_ALIAS_COUNT = 100
/** Symbolic links followed to find the file a path names (as the kernel's ELOOP limit). */
const MAX_LINKS = 40

/** Named steps of a write, for tests that kill a writer at each one (see LockStep for the lock's). */
export type WriteStep = LockStep | 'locked' | 'temp-created' | 'temp-written' | 'renamed'

/** The context file: validated reads, and locked read-modify-write updates that are atomic on disk. */
export class ConfigStore {
  constructor(
    readonly path: string,
    private readonly options: {step?: (step: WriteStep) => void} = {},
  ) {}

  /** The file's content, migrated to the current version and validated. A missing file is an empty config. */
  async read(): Promise<RdcConfig> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {version: CONFIG_VERSION, contexts: {}}
      throw this.unreadable(error)
    }
    return this.parse(text)
  }

  /**
   * Runs `mutate` on a fresh copy of the file while holding the lock and writes the result (temp file, fsync,
   * rename), so concurrent rdc processes never lose each other's changes. When `mutate` throws, nothing is written.
   */
  async update<T>(mutate: (config: RdcConfig) => T | Promise<T>): Promise<T> {
    // A path that is a symbolic link (a dotfiles checkout) is written through: the link stays, its target changes.
    const target = await this.target()
    await mkdir(dirname(target), {recursive: true, mode: 0o700})
    const step = this.options.step
    const lock = await acquireLock(`${target}.lock`, {step})
    try {
      step?.('locked')
      const config = await this.read()
      const result = await mutate(config)
      // The mutation must leave a valid file: check before anything touches the disk.
      const checked = this.validate(config, undefined)
      // What writers killed before this one left: their temp files may hold the token.
      await removeLeftovers(dirname(target), basename(target))
      await this.write(target, checked)
      return result
    } finally {
      await lock.release()
    }
  }

  /** The file the path names, following symbolic links (also a dangling one: its target is created). */
  private async target(): Promise<string> {
    let path = resolve(this.path)
    for (let i = 0; i < MAX_LINKS; i++) {
      let isLink: boolean
      try {
        isLink = (await lstat(path)).isSymbolicLink()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path
        throw this.unreadable(error)
      }
      if (!isLink) return path
      path = resolve(dirname(path), await readlink(path))
    }
    throw new ConfigError(`The context file ${this.path} is a chain of more than ${MAX_LINKS} symbolic links.`, {
      suggestion: 'Point the link at the real file, or --config / RDC_CONFIG at another file.',
    })
  }

  private unreadable(error: unknown): ConfigError {
    return new ConfigError(`Cannot read the context file ${this.path}: ${(error as Error).message}`, {
      suggestion: 'Check its permissions, or point --config / RDC_CONFIG at another file.',
      cause: error,
    })
  }

  private async parse(text: string): Promise<RdcConfig> {
    const YAML: YamlModule = await import('yaml')
    const lineCounter = new YAML.LineCounter()
    const doc = YAML.parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
    if (doc.errors.length > 0) {
      const err = doc.errors[0]
      const line = err.linePos?.[0]?.line ?? (err.pos ? lineCounter.linePos(err.pos[0]).line : undefined)
      throw this.invalid(`is not valid YAML${line ? ` (line ${line})` : ''}: ${err.message.split('\n')[0]}`)
    }
    let raw: unknown
    try {
      raw = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT}) ?? {}
    } catch (error) {
      // The yaml package refuses an alias bomb with a ReferenceError; it is the file's fault, not rdc's.
      if (!(error instanceof ReferenceError)) throw error
      throw this.invalid(`expands YAML aliases more than ${MAX_ALIAS_COUNT} times (an alias bomb?)${firstAliasLine(YAML, doc, lineCounter)}: write the values out instead of *aliases`)
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw this.invalid('must be a mapping with version and contexts (line 1)')
    let migrated: Record<string, unknown>
    try {
      migrated = migrate(raw as Record<string, unknown>).doc
    } catch (error) {
      if (!(error instanceof MigrationError)) throw error
      throw this.invalid(`${error.message} (key "version"${lineOf(YAML, doc, lineCounter, ['version'])})`)
    }
    return this.validate(migrated, (path) => lineOf(YAML, doc, lineCounter, path))
  }

  private validate(raw: unknown, line: ((path: PropertyKey[]) => string) | undefined): RdcConfig {
    const parsed = configSchema.safeParse(raw, {jitless: true})
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const key = formatPath(issue.path)
      throw this.invalid(`has an invalid value at "${key}"${line?.(issue.path) ?? ''}: ${issue.message}`)
    }
    const [problem] = checkValues(parsed.data)
    if (problem) throw this.invalid(`has an invalid value at "${formatPath(problem.path)}"${line?.(problem.path) ?? ''}: ${problem.message}`, problem.suggestion)
    return parsed.data
  }

  private invalid(what: string, fix?: string): ConfigError {
    const byHand = 'Fix that line by hand (the file was not changed), or point --config / RDC_CONFIG at another file.'
    return new ConfigError(`The context file ${this.path} ${what}`, {suggestion: fix ? `${fix}. ${byHand}` : byHand})
  }

  /** Temp file beside `target` (rdc's name pattern, see tempOwner), fsync, rename over it: never half a file. */
  private async write(target: string, config: RdcConfig): Promise<void> {
    const YAML: YamlModule = await import('yaml')
    const step = this.options.step
    const text = YAML.stringify(config, {indent: 2, lineWidth: 0})
    // A file that exists keeps its mode (someone may have chosen 0640); a new one is 0600 (it may hold a token).
    const mode = await stat(target).then((s) => s.mode & 0o7777, () => 0o600)
    const temp = `${target}.${uniqueSuffix()}.tmp`
    const handle = await open(temp, 'wx', 0o600)
    try {
      step?.('temp-created')
      if (mode !== 0o600) await handle.chmod(mode)
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    step?.('temp-written')
    try {
      await rename(temp, target)
    } catch (error) {
      await unlink(temp).catch(() => {})
      throw error
    }
    step?.('renamed')
    // The rename is durable only once the folder's entry is on disk.
    const dirHandle = await open(dirname(target), 'r')
    try {
      await dirHandle.sync()
    } finally {
      await dirHandle.close()
    }
  }
}

function formatPath(path: PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.')
}

/** ", line N" of the document's first alias. */
function firstAliasLine(YAML: YamlModule, doc: import('yaml').Document, counter: import('yaml').LineCounter): string {
  let line: number | undefined
  YAML.visit(doc, {
    Alias(_key, node) {
      if (node.range) line = counter.linePos(node.range[0]).line
      return YAML.visit.BREAK
    },
  })
  return line === undefined ? '' : ` (first alias on line ${line})`
}

/** ", line N" of the deepest key of `path` that exists in the document (the key's own line, not its value's). */
function lineOf(YAML: YamlModule, doc: import('yaml').Document, counter: import('yaml').LineCounter, path: PropertyKey[]): string {
  let node: unknown = doc.contents
  let line: number | undefined = (node as {range?: number[]} | null)?.range ? counter.linePos((node as {range: number[]}).range[0]).line : undefined
  for (const segment of path) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key) === String(segment))
      if (!pair) break
      const keyRange = (pair.key as {range?: number[]}).range
      if (keyRange) line = counter.linePos(keyRange[0]).line
      node = pair.value
    } else if (YAML.isSeq(node)) {
      const item = node.items[Number(segment)] as {range?: number[]} | undefined
      if (!item) break
      if (item.range) line = counter.linePos(item.range[0]).line
      node = item
    } else break
  }
  return line === undefined ? '' : `, line ${line}`
}
