/**
 * The `.env` file docker compose reads for `${VAR}` interpolation: the one in the project folder (the folder of
 * the first compose file, where a Rediaccfile runs `renet compose`). Read the way docker-compose 1.29 reads it
 * (python-dotenv): `KEY=VALUE` lines, `export ` allowed, `#` comments, single quotes literal, double quotes
 * with `\n`/`\"` escapes, an unquoted value ending at ` #`. Variables set in the environment win over it.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

export const DOTENV_FILE = '.env'

export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line)
    if (match === null) continue
    const [, key, rest] = match
    out[key] = dotenvValue(rest)
  }

  return out
}

function dotenvValue(rest: string): string {
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1)
    return end === -1 ? rest.slice(1) : rest.slice(1, end)
  }

  if (rest.startsWith('"')) {
    let value = ''
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i]
      if (c === '\\' && i + 1 < rest.length) {
        const next = rest[++i]
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next
      } else if (c === '"') {
        return value
      } else value += c
    }

    return value
  }

  const comment = rest.search(/\s#/)
  return (comment === -1 ? rest : rest.slice(0, comment)).trim()
}

/** DIR's `.env` as variables, or {} when there is none (or it can't be read). */
export function readDotenv(dir: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(join(dir, DOTENV_FILE), 'utf8'))
  } catch {
    return {}
  }
}

/** The variables compose interpolates with: DIR's `.env` under ENV (the environment wins, as in compose). */
export function interpolationEnv(dir: string, env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = {...readDotenv(dir)}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value
  return merged
}
