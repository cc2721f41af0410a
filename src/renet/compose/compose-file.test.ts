import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {UsageError} from '../../errors.js'
import {composeFilePaths, findComposeFile, parseComposeFile} from './compose-file.js'

describe('parseComposeFile', () => {
  it('lists services in file order with merge keys applied', () => {
    const file = parseComposeFile('c.yml', 'version: "3.8"\nx-base: &base\n  image: busybox\nservices:\n  web:\n    <<: *base\n    command: httpd\n  db: {image: pg}\n')
    expect([...file.services.keys()]).toEqual(['web', 'db'])
    expect(file.services.get('web')).toEqual({image: 'busybox', command: 'httpd'})
    expect(file.version).toBe('3.8')
  })

  it('names the file, line and column of a syntax error', () => {
    const text = 'services:\n  web:\n    image: busybox\n   command: [httpd\n'
    let error: unknown
    try {
      parseComposeFile('/repo/docker-compose.yml', text)
    } catch (caught) {
      error = caught
    }

    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toMatch(/^\/repo\/docker-compose.yml:4:1: the compose file does not parse: All mapping items must start at the same column$/)
    expect((error as UsageError).suggestion).toBe('Fix the YAML at line 4, column 1 of /repo/docker-compose.yml.')
  })

  it('reports duplicate keys with their position', () => {
    expect(() => parseComposeFile('c.yml', 'services:\n  web: {image: a}\n  web: {image: b}\n')).toThrow(/^c.yml:3:3: the compose file does not parse: Map keys must be unique/)
  })

  it('refuses files without services or with a bad services: value', () => {
    expect(() => parseComposeFile('c.yml', 'version: "3"\n')).toThrow(/c.yml: the compose file has no services:/)
    expect(() => parseComposeFile('c.yml', 'services: [web]\n')).toThrow(/services: must map each service name/)
    expect(() => parseComposeFile('c.yml', '- a\n')).toThrow(/not a mapping of top-level keys/)
    expect(() => parseComposeFile('c.yml', 'services:\n  web: 3\n')).toThrow(/service 'web' must be a mapping/)
  })
})

describe('finding compose files', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-compose-files-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('takes the first default name present, in docker-compose 1.x order', () => {
    expect(findComposeFile(dir)).toBeNull()
    writeFileSync(join(dir, 'compose.yaml'), 'services: {}\n')
    expect(findComposeFile(dir)).toBe(join(dir, 'compose.yaml'))
    writeFileSync(join(dir, 'compose.yml'), 'services: {}\n')
    expect(findComposeFile(dir)).toBe(join(dir, 'compose.yml'))
    writeFileSync(join(dir, 'docker-compose.yaml'), 'services: {}\n')
    expect(findComposeFile(dir)).toBe(join(dir, 'docker-compose.yaml'))
    writeFileSync(join(dir, 'docker-compose.yml'), 'services: {}\n')
    expect(composeFilePaths(dir, [])).toEqual([join(dir, 'docker-compose.yml')])
  })

  it('uses -f files relative to the folder and refuses missing ones', () => {
    writeFileSync(join(dir, 'a.yml'), 'services: {}\n')
    expect(composeFilePaths(dir, ['a.yml'])).toEqual([join(dir, 'a.yml')])
    expect(() => composeFilePaths(dir, ['b.yml'])).toThrow(`compose file ${join(dir, 'b.yml')} does not exist`)
  })

  it('says which names it looked for when there is none', () => {
    expect(() => composeFilePaths(dir, [])).toThrow(`no compose file in ${dir}`)
  })
})
