import {createHash} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {type ApplyHeader, collect, emptyHeader, encodeApplyStream, WIRE_TRAILER} from './wire.js'
import {applyStream} from './apply.js'

const sha = (text: string) => createHash('sha256').update(text).digest('hex')

function fileEntry(path: string, content: string, mode = 0o644) {
  return {path, size: Buffer.byteLength(content), mode, sha256: sha(content)}
}

async function stream(header: ApplyHeader, contents: Record<string, string>): Promise<Buffer> {
  return collect(encodeApplyStream(header, async function* (path) {
    yield Buffer.from(contents[path])
  }))
}

async function* once(buffer: Buffer) {
  yield buffer
}

describe('renet sync apply', () => {
  let base: string
  let root: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'rdc-sync-apply-'))
    root = join(base, 'repo')
    mkdirSync(root)
  })
  afterEach(() => rmSync(base, {recursive: true, force: true}))

  it('writes files with their modes, creates folders and symlinks, deletes listed paths', async () => {
    writeFileSync(join(root, 'old.txt'), 'old')
    mkdirSync(join(root, 'gone/deeper'), {recursive: true})
    writeFileSync(join(root, 'gone/deeper/f'), 'f')
    writeFileSync(join(root, 'keep.sh'), 'same')
    const header: ApplyHeader = {
      ...emptyHeader(),
      delete: ['gone/deeper/f', 'gone/deeper', 'gone', 'old.txt'],
      dirs: [{path: 'www', mode: 0o750}],
      chmod: [{path: 'keep.sh', mode: 0o755}],
      links: [{path: 'current', target: 'www'}],
      files: [fileEntry('www/index.html', '<h1>hi</h1>'), fileEntry('bin/run', '#!/bin/sh\n', 0o700)],
    }
    const result = await applyStream(root, once(await stream(header, {'www/index.html': '<h1>hi</h1>', 'bin/run': '#!/bin/sh\n'})))
    expect(result).toEqual({ok: true, written: 2, bytes: 21, deleted: 4, dirs: 1, chmod: 1, links: 1, kept: [], errors: []})
    expect(readdirSync(root).sort()).toEqual(['bin', 'current', 'keep.sh', 'www'])
    expect(readFileSync(join(root, 'www/index.html'), 'utf8')).toBe('<h1>hi</h1>')
    expect(statSync(join(root, 'www')).mode & 0o777).toBe(0o750)
    expect(statSync(join(root, 'bin/run')).mode & 0o777).toBe(0o700)
    expect(statSync(join(root, 'keep.sh')).mode & 0o777).toBe(0o755)
    expect(lstatSync(join(root, 'current')).isSymbolicLink()).toBe(true)
    // No temporary file is left beside the targets.
    expect(readdirSync(join(root, 'www'))).toEqual(['index.html'])
  })

  it.each([
    ['an absolute path', {files: [fileEntry('/etc/passwd', 'x')]}, 'unsafe path "/etc/passwd"'],
    ['a .. segment', {delete: ['www/../../outside']}, 'unsafe path "www/../../outside"'],
    ['a . segment', {dirs: [{path: './x', mode: 0o755}]}, 'unsafe path "./x"'],
    ['an empty segment', {links: [{path: 'a//b', target: 'x'}]}, 'unsafe path "a//b"'],
    ['server state', {files: [fileEntry('.rediacc.json', '{}')]}, '.rediacc.json is protected on the server'],
    ['a compose override', {delete: ['api/.rediacc-compose.override.yml']}, 'api/.rediacc-compose.override.yml is protected'],
    ['an excluded data folder', {delete: ['data/postgres/PG_VERSION']}, 'data/postgres/PG_VERSION is protected'],
    ['a bad mode', {chmod: [{path: 'x', mode: 0o4755}]}, 'x: bad mode'],
  ])('refuses a stream with %s before changing anything', async (_name, part, message) => {
    writeFileSync(join(root, 'untouched'), 'u')
    const header = {...emptyHeader(), delete: ['untouched'], ...part} as ApplyHeader
    const result = await applyStream(root, once(await stream(header, {'/etc/passwd': 'x', '.rediacc.json': '{}'})), {exclude: ['/data/postgres']})
    expect(result.error).toContain(message)
    expect(result.error).toMatch(/nothing was changed$/)
    expect(result.ok).toBe(false)
    expect(readFileSync(join(root, 'untouched'), 'utf8')).toBe('u')
  })

  it('refuses input that is not a sync stream', async () => {
    const result = await applyStream(root, once(Buffer.from('tar archive here')))
    expect(result.error).toBe("refused: the input does not start with 'RDCSYNC1 <length>'; nothing was changed")
  })

  it('never writes or deletes through a symlink, and carries on with the other files', async () => {
    const outside = join(base, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'victim'), 'safe')
    symlinkSync(outside, join(root, 'escape'))
    const header: ApplyHeader = {
      ...emptyHeader(),
      delete: ['escape/victim'],
      chmod: [{path: 'escape', mode: 0o777}],
      files: [fileEntry('escape/pwned', 'evil'), fileEntry('escape/sub/pwned', 'evil2'), fileEntry('ok.txt', 'fine')],
    }
    const result = await applyStream(root, once(await stream(header, {'escape/pwned': 'evil', 'escape/sub/pwned': 'evil2', 'ok.txt': 'fine'})))
    expect(result.ok).toBe(false)
    expect(result.errors.map((e) => e.path)).toEqual(['escape/victim', 'escape/pwned', 'escape/sub/pwned', 'escape'])
    expect(result.errors[0].message).toBe('escape is a symlink on the server; refusing to go through it')
    expect(result.errors[3].message).toMatch(/^ELOOP/)
    expect(readdirSync(outside)).toEqual(['victim'])
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('safe')
    expect(statSync(outside).mode & 0o777).not.toBe(0o777)
    expect(result.written).toBe(1)
    expect(readFileSync(join(root, 'ok.txt'), 'utf8')).toBe('fine')
  })

  it('rejects content that does not match its sha256 and keeps the old file', async () => {
    writeFileSync(join(root, 'a.txt'), 'old')
    const header: ApplyHeader = {...emptyHeader(), files: [{...fileEntry('a.txt', 'new'), sha256: sha('other')}, fileEntry('b.txt', 'bee')]}
    const result = await applyStream(root, once(await stream(header, {'a.txt': 'new', 'b.txt': 'bee'})))
    expect(result.errors).toEqual([{path: 'a.txt', message: 'content does not match its sha256 (changed on the workstation while sent?); run the sync again'}])
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('old')
    expect(readFileSync(join(root, 'b.txt'), 'utf8')).toBe('bee')
    expect(readdirSync(root).sort()).toEqual(['a.txt', 'b.txt'])
  })

  it('stops at a truncated stream without leaving a half-written file', async () => {
    writeFileSync(join(root, 'big.bin'), 'previous')
    const header: ApplyHeader = {...emptyHeader(), files: [fileEntry('big.bin', 'x'.repeat(1000))]}
    const full = await stream(header, {'big.bin': 'x'.repeat(1000)})
    const result = await applyStream(root, once(full.subarray(0, full.length - WIRE_TRAILER.length - 400)))
    expect(result.ok).toBe(false)
    expect(result.errors.map((e) => e.message)).toEqual(['the stream ended 400 bytes early', 'the stream ended early; the files after this one were not written'])
    expect(readFileSync(join(root, 'big.bin'), 'utf8')).toBe('previous')
    expect(readdirSync(root)).toEqual(['big.bin'])
  })

  it('keeps a folder that still holds something it was not asked to delete', async () => {
    mkdirSync(join(root, 'data/postgres'), {recursive: true})
    writeFileSync(join(root, 'data/postgres/PG_VERSION'), '16')
    const result = await applyStream(root, once(await stream({...emptyHeader(), delete: ['data']}, {})), {exclude: ['/data/postgres']})
    expect(result).toMatchObject({ok: true, deleted: 0, kept: ['data']})
    expect(existsSync(join(root, 'data/postgres/PG_VERSION'))).toBe(true)
  })

  it('creates the repository folder on a first sync', async () => {
    const fresh = join(base, 'new-repo')
    const result = await applyStream(fresh, once(await stream({...emptyHeader(), files: [fileEntry('Rediaccfile', 'up() { :; }\n')]}, {Rediaccfile: 'up() { :; }\n'})))
    expect(result.ok).toBe(true)
    expect(readFileSync(join(fresh, 'Rediaccfile'), 'utf8')).toBe('up() { :; }\n')
  })
})
