import {mkdir, open, readFile, rename, unlink} from 'node:fs/promises'
import {dirname} from 'node:path'

import {ConfigError} from '../errors.js'
import {checkValues} from './file-checks.js'
import {acquireLock, uniqueSuffix} from './lock.js'
import {migrate, MigrationError} from './migrations.js'
import {CONFIG_VERSION, configSchema, type RdcConfig} from './schema.js'

type YamlModule = typeof import('yaml')

/** The context file: validated reads, and locked read-modify-write updates that are atomic on disk. */
export class ConfigStore {
  constructor(readonly path: string) {}

  /** The file's content, migrated to the current version and validated. A missing file is an empty config. */
  async read(): Promise<RdcConfig> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {version: CONFIG_VERSION, contexts: {}}
      throw new ConfigError(`Cannot read the context file ${this.path}: ${(error as Error).message}`, {
        suggestion: 'Check its permissions, or point --config / RDC_CONFIG at another file.',
        cause: error,
      })
    }
    return this.parse(text)
  }

  /**
   * Runs `mutate` on a fresh copy of the file while holding the lock and writes the result (temp file, fsync,
   * rename), so concurrent rdc processes never lose each other's changes. When `mutate` throws, nothing is written.
   */
  async update<T>(mutate: (config: RdcConfig) => T | Promise<T>): Promise<T> {
    const dir = dirname(this.path)
    await mkdir(dir, {recursive: true, mode: 0o700})
    const lock = await acquireLock(`${this.path}.lock`)
    try {
      const config = await this.read()
      const result = await mutate(config)
      // The mutation must leave a valid file: check before anything touches the disk.
      const checked = this.validate(config, undefined)
      await this.write(checked)
      return result
    } finally {
      await lock.release()
    }
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
    const raw = doc.toJS() ?? {}
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
    if (problem) throw this.invalid(`has an invalid value at "${formatPath(problem.path)}"${line?.(problem.path) ?? ''}: ${problem.message}`)
    return parsed.data
  }

  private invalid(what: string): ConfigError {
    return new ConfigError(`The context file ${this.path} ${what}`, {
      suggestion: 'Fix that line by hand (the file was not changed), or point --config / RDC_CONFIG at another file.',
    })
  }

  private async write(config: RdcConfig): Promise<void> {
    const YAML: YamlModule = await import('yaml')
    const text = YAML.stringify(config, {indent: 2, lineWidth: 0})
    const temp = `${this.path}.${uniqueSuffix()}.tmp`
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await rename(temp, this.path)
    } catch (error) {
      await unlink(temp).catch(() => {})
      throw error
    }
    // The rename is durable only once the folder's entry is on disk.
    const dirHandle = await open(dirname(this.path), 'r')
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
