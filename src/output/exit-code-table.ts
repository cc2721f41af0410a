import {EXIT_CODES} from '../errors.js'

/** The README's exit-code table, generated from EXIT_CODES (scripts/readme.mjs writes it; a test compares). */
export function exitCodeTable(): string {
  const rows = Object.entries(EXIT_CODES).map(([kind, {code, meaning}]) => `| ${code} | \`${kind}\` | ${meaning.replace(/\|/g, '\\|')} |`)
  return ['| code | kind | meaning |', '|---:|---|---|', ...rows].join('\n')
}

export const EXIT_CODES_START = '<!-- exit-codes -->'
export const EXIT_CODES_STOP = '<!-- exit-codesstop -->'

/** README text with the exit-code section replaced by the generated table. */
export function withExitCodeTable(readme: string): string {
  const start = readme.indexOf(EXIT_CODES_START)
  const stop = readme.indexOf(EXIT_CODES_STOP)
  if (start < 0 || stop < start) throw new Error(`README.md lacks the ${EXIT_CODES_START} … ${EXIT_CODES_STOP} markers`)
  return `${readme.slice(0, start + EXIT_CODES_START.length)}\n${exitCodeTable()}\n${readme.slice(stop)}`
}
