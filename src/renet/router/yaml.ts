/**
 * A small, deterministic YAML writer for plain data (objects, arrays, strings, numbers, booleans). Object keys
 * are sorted so equal configurations give identical bytes (Traefik hashes the body and ignores an unchanged
 * one); strings are written as JSON strings, which YAML reads as double-quoted scalars. Fast enough to render
 * thousands of routers in a few milliseconds, which the general-purpose `yaml` package is not.
 */

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const YAML_WORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null'])

function key(k: string): string {
  return PLAIN_KEY.test(k) && !YAML_WORDS.has(k.toLowerCase()) ? k : JSON.stringify(k)
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('cannot write a non-finite number')
    return String(v)
  }

  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v === null) return 'null'
  throw new TypeError(`cannot write ${typeof v} as YAML`)
}

function isEmptyContainer(v: unknown): string | null {
  if (v === null || typeof v !== 'object') return null
  if (Array.isArray(v)) return v.length === 0 ? '[]' : null
  for (const _ in v) return null
  return '{}'
}

function write(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      const empty = isEmptyContainer(item)
      if (empty !== null) out.push(`${indent}- ${empty}`)
      else if (item !== null && typeof item === 'object') {
        // The first key of a mapping goes on the dash line; the rest align under it.
        const lines: string[] = []
        write(item, `${indent}  `, lines)
        lines[0] = `${indent}- ${lines[0].slice(indent.length + 2)}`
        out.push(...lines)
      } else out.push(`${indent}- ${scalar(item)}`)
    }

    return
  }

  const obj = v as Record<string, unknown>
  for (const k of Object.keys(obj).sort()) {
    const value = obj[k]
    if (value === undefined) continue
    const empty = isEmptyContainer(value)
    if (empty !== null) out.push(`${indent}${key(k)}: ${empty}`)
    else if (value !== null && typeof value === 'object') {
      out.push(`${indent}${key(k)}:`)
      write(value, `${indent}  `, out)
    } else out.push(`${indent}${key(k)}: ${scalar(value)}`)
  }
}

export function toYaml(data: Record<string, unknown>): string {
  const empty = isEmptyContainer(data)
  if (empty !== null) return `${empty}\n`
  const out: string[] = []
  write(data, '', out)
  return `${out.join('\n')}\n`
}
