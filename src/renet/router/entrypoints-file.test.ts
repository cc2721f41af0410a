import {mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {RouterSettings} from './config.js'
import {EntrypointsFile} from './entrypoints-file.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-router-entrypoints-file-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** Written as push-infra writes files: a temporary file renamed over the old one (a new inode, a new stamp). */
function write(text: string): void {
  writeFileSync(join(dir, 'traefik.yml.tmp'), text)
  renameSync(join(dir, 'traefik.yml.tmp'), join(dir, 'traefik.yml'))
}

function settings(source: RouterSettings['entrypointsSource'], entrypoints: string[] = []): RouterSettings {
  return {entrypointsSource: source, traefikConfig: join(dir, 'traefik.yml'), entrypoints} as RouterSettings
}

describe('entry points followed from traefik.yml', () => {
  it('is loaded from the start when the names come from elsewhere, and never reads the file', () => {
    const s = settings('flag', ['web'])
    const file = new EntrypointsFile(s, () => {}, () => {
      throw new Error('no change expected')
    })
    expect(file.loaded).toBe(true)
    expect(file.check()).toBe(false)
    expect(file.status()).toEqual({source: 'flag', file: null, names: ['web'], error: null, loadedAt: null})
  })

  it('reads the names when the file changes and keeps the last good ones when it breaks', () => {
    const s = settings('traefik.yml')
    const logs: string[] = []
    let changes = 0
    const file = new EntrypointsFile(s, (event) => logs.push(event), () => changes++)
    expect(file.loaded).toBe(false)
    expect(file.check()).toBe(false)
    expect(file.status().error).toMatch(/cannot be read/)

    write('entryPoints: {web: {}, websecure: {}, traefik: {}}\n')
    expect(file.check()).toBe(true)
    expect(file.check()).toBe(false)
    expect(file.loaded).toBe(true)
    expect(s.entrypoints).toEqual(['web', 'websecure'])

    write('entryPoints: [\n')
    expect(file.check()).toBe(false)
    expect(file.failing).toBe(true)
    expect(s.entrypoints).toEqual(['web', 'websecure'])

    write('entryPoints: {websecure: {}, web: {}}\n')
    expect(file.check()).toBe(false)
    expect(file.failing).toBe(false)

    write('entryPoints: {web: {}, tcp-5432: {}}\n')
    expect(file.check()).toBe(true)
    expect(s.entrypoints).toEqual(['web', 'tcp-5432'])
    expect(changes).toBe(2)
    expect(logs).toEqual(['entry points not read', 'entry points read', 'entry points not read', 'entry points changed'])
  })
})
