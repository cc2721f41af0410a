import {MASK, Secret} from '../config/secret.js'

/**
 * The one human formatter. Commands return data (that is the --json output) and, when --json is off, print it
 * through these functions. A Secret renders as *** here too.
 */

export function display(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-'
  if (value instanceof Secret) return MASK
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map((v) => display(v)).join(', ')
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  return String(value)
}

export interface Column<Row> {
  header: string
  get: (row: Row) => unknown
}

/** A plain aligned table: a header row, then one row per item. */
export function table<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): string {
  const cells = [columns.map((c) => c.header.toUpperCase()), ...rows.map((row) => columns.map((c) => display(c.get(row))))]
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  return cells.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n')
}

/** "key:  value" lines with the values aligned. */
export function keyValues(pairs: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 1
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${display(v)}`).join('\n')
}

/** A titled block, for commands that print more than one section. */
export function section(title: string, body: string): string {
  return `${title}\n${body.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n')}`
}
