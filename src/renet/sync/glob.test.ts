import {describe, expect, it} from 'vitest'

import {compilePatterns, patternForPath} from './glob.js'

describe('sync patterns', () => {
  it('a name without a slash matches at any depth, a folder covering everything below it', () => {
    const m = compilePatterns(['node_modules', '*.log'])
    expect(m.matches('node_modules', true)).toBe(true)
    expect(m.matches('api/node_modules', true)).toBe(true)
    expect(m.covers('api/node_modules/x/index.js', false)).toBe(true)
    expect(m.matches('api/node_modules/x/index.js', false)).toBe(false)
    expect(m.matches('logs/today.log', false)).toBe(true)
    expect(m.matches('today.logx', false)).toBe(false)
    expect(m.matches('my_node_modules', true)).toBe(false)
  })

  it('a pattern with a slash is anchored at the root; a trailing slash matches folders only', () => {
    const m = compilePatterns(['/build', 'data/postgres/', 'docs/**/*.md'])
    expect(m.matches('build', true)).toBe(true)
    expect(m.matches('api/build', true)).toBe(false)
    expect(m.matches('data/postgres', true)).toBe(true)
    expect(m.matches('data/postgres', false)).toBe(false)
    expect(m.matches('api/data/postgres', true)).toBe(false)
    expect(m.matches('docs/a.md', false)).toBe(true)
    expect(m.matches('docs/x/y/a.md', false)).toBe(true)
    expect(m.matches('docs/x/y/a.txt', false)).toBe(false)
  })

  it('? matches one character, \\ escapes, and regex characters are literal', () => {
    const m = compilePatterns(['file?.txt', 'a\\*b', 'x.(y)+'])
    expect(m.matches('file1.txt', false)).toBe(true)
    expect(m.matches('file12.txt', false)).toBe(false)
    expect(m.matches('a*b', false)).toBe(true)
    expect(m.matches('axxb', false)).toBe(false)
    expect(m.matches('x.(y)+', false)).toBe(true)
    expect(m.matches('xx(y)', false)).toBe(false)
  })

  it('patternForPath matches exactly that path, even with glob characters in it', () => {
    const m = compilePatterns([patternForPath('data/pg*1'), patternForPath('db')])
    expect(m.covers('data/pg*1/base/1', false)).toBe(true)
    expect(m.matches('data/pg21', true)).toBe(false)
    expect(m.matches('db', true)).toBe(true)
    expect(m.matches('api/db', true)).toBe(false)
  })

  it('refuses negation and empty patterns instead of misreading them', () => {
    expect(() => compilePatterns(['!keep.txt'], '.rdcignore line')).toThrow(".rdcignore line '!keep.txt' is not supported")
    const error = (() => {
      try {
        compilePatterns(['!keep.txt'])
      } catch (caught) {
        return caught as {suggestion?: string}
      }
    })()
    expect(error?.suggestion).toMatch(/negation with `!` is not supported/)

    expect(() => compilePatterns(['  '])).toThrow(/not supported/)
    expect(() => compilePatterns(['/'])).toThrow(/matches the whole repository/)
  })
})
