import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import type {Context} from '../config/schema.js'
import {createLine, folderFor} from './create-hint.js'

const dir = mkdtempSync(join(tmpdir(), 'rdc-create-hint-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const ctx = (machines: string[]): Context => ({machines: Object.fromEntries(machines.map((m) => [m, {}])), repositories: {}}) as unknown as Context

describe('the rdc repo create line of an unknown repository', () => {
  it('names ./<name> when that folder holds the repository, else the folder the user stands in', () => {
    mkdirSync(join(dir, 'my-app'))
    expect(folderFor('my-app', dir)).toBe('.')
    writeFileSync(join(dir, 'my-app', 'compose.yaml'), 'services: {}\n')
    expect(folderFor('my-app', dir)).toBe('./my-app')
  })

  it('the machine given, else the only one, else a placeholder; a size for --mount', () => {
    expect(createLine('my-app', ctx(['a', 'b']), {machine: 'server-1', mount: true, cwd: dir})).toBe('rdc repo create my-app -m server-1 --path ./my-app --size 2G')
    expect(createLine('web', ctx(['server-1']), {cwd: dir})).toBe('rdc repo create web -m server-1 --path .')
    expect(createLine('web', ctx(['a', 'b']), {cwd: dir})).toBe('rdc repo create web -m <machine> --path .')
  })
})
