/**
 * The path patterns of `.rdcignore` and `renet sync --exclude` (shared by the CLI and the server, so both sides
 * leave out exactly the same paths). A subset of gitignore:
 * - `*` matches within one path segment, `?` one character, `**` any number of segments; `\` escapes the next
 *   character;
 * - a pattern with a `/` in it (other than a trailing one) is anchored at the repository root (a leading `/`
 *   only anchors); one without matches a name at any depth (`node_modules`, `*.log`);
 * - a trailing `/` matches folders only;
 * - a matching folder covers everything below it.
 * No negation (`!`) and no character classes: a line starting with `!` is refused rather than misread.
 */
import {UsageError} from '../../errors.js'

export interface PathMatcher {
  /** True when `path` (relative, `/`-separated) or one of its parent folders matches a pattern. */
  covers(path: string, isDir: boolean): boolean
  /** True when `path` itself matches (its parents are not looked at). */
  matches(path: string, isDir: boolean): boolean
}

interface Compiled {
  regex: RegExp
  dirOnly: boolean
}

export function compilePatterns(patterns: readonly string[], source = 'pattern'): PathMatcher {
  const compiled = patterns.map((pattern) => compilePattern(pattern, source))
  const matches = (path: string, isDir: boolean) => compiled.some((c) => (isDir || !c.dirOnly) && c.regex.test(path))
  return {
    matches,
    covers(path, isDir) {
      const parts = path.split('/')
      for (let i = 1; i < parts.length; i++) {
        if (matches(parts.slice(0, i).join('/'), true)) return true
      }

      return matches(path, isDir)
    },
  }
}

function compilePattern(raw: string, source: string): Compiled {
  let pattern = raw.trim()
  if (pattern === '' || pattern.startsWith('!')) {
    throw new UsageError(`${source} '${raw}' is not supported`, {
      field: 'exclude',
      suggestion: 'Use a path or glob (`data/`, `*.log`, `/build`); negation with `!` is not supported.',
    })
  }

  const dirOnly = pattern.endsWith('/')
  if (dirOnly) pattern = pattern.replace(/\/+$/, '')
  const anchored = pattern.includes('/')
  pattern = pattern.replace(/^\/+/, '')
  const segments = pattern.split('/').filter((s) => s !== '')
  if (segments.length === 0) throw new UsageError(`${source} '${raw}' matches the whole repository`, {field: 'exclude'})
  let body = ''
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1
    if (segment === '**') {
      // `a/**/b` also matches `a/b`; a trailing `**` matches everything below.
      body += last ? '.*' : '(?:[^/]+/)*'
      continue
    }

    body += segmentRegex(segment) + (last ? '' : '/')
  }

  const prefix = anchored ? '^' : '^(?:.*/)?'
  return {regex: new RegExp(`${prefix}${body}$`, 's'), dirOnly}
}

function segmentRegex(segment: string): string {
  let out = ''
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]
    if (c === '\\' && i + 1 < segment.length) out += escapeRegex(segment[++i])
    else if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else out += escapeRegex(c)
  }

  return out
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** A pattern matching exactly one path relative to the root (and what is below it). */
export function patternForPath(path: string): string {
  return '/' + path.replace(/[\\*?]/g, '\\$&')
}
