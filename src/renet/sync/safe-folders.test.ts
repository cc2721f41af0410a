import {mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {EscapeError, parentOf, SafeFolders} from './safe-folders.js'

describe('SafeFolders', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-safe-folders-'))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('gives the root for the empty path and creates missing folders only when asked', () => {
    const folders = new SafeFolders(root)
    expect(folders.folder('', false)).toBe(root)
    expect(folders.folder('a/b', false)).toBeNull()
    expect(folders.folder('a/b', true)).toBe(join(root, 'a/b'))
    expect(statSync(join(root, 'a/b')).isDirectory()).toBe(true)
  })

  it('refuses to go through a symlink or a file', () => {
    mkdirSync(join(root, 'elsewhere'))
    symlinkSync(join(root, 'elsewhere'), join(root, 'link'))
    writeFileSync(join(root, 'file'), 'x')
    const folders = new SafeFolders(root)
    expect(() => folders.folder('link/x', true)).toThrow(EscapeError)
    expect(() => folders.folder('link/x', true)).toThrow('link is a symlink on the server; refusing to go through it')
    expect(() => folders.folder('file/x', true)).toThrow('file is not a folder on the server')
  })

  it('checks a folder again after forget() (it may have been replaced by a symlink)', () => {
    const folders = new SafeFolders(root)
    folders.folder('a', true)
    rmSync(join(root, 'a'), {recursive: true})
    symlinkSync(tmpdir(), join(root, 'a'))
    expect(folders.folder('a', false)).toBe(join(root, 'a'))
    folders.forget()
    expect(() => folders.folder('a', false)).toThrow(EscapeError)
  })

  it('parentOf: the folder of a relative path, or the root', () => {
    expect(parentOf('a/b/c')).toBe('a/b')
    expect(parentOf('c')).toBe('')
  })
})
