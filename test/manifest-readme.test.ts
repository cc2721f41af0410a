import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {Plugin} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {EXIT_CODES} from '../src/errors.js'
import {EXIT_CODES_START, EXIT_CODES_STOP, exitCodeTable} from '../src/output/exit-code-table.js'
import {ensureBuilt, ROOT} from './support/cli.js'

describe('generated files are current', () => {
  it('oclif.manifest.json matches the built commands (run `npm run manifest` when this fails)', async () => {
    ensureBuilt()
    const committed = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>; version: string}
    const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
    await plugin.load()
    const fresh = JSON.parse(JSON.stringify(plugin.manifest)) as {commands: Record<string, unknown>}
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    expect(committed.version).toBe(pkg.version)
    expect(Object.keys(committed.commands).sort()).toEqual(Object.keys(fresh.commands).sort())
    expect(committed.commands).toEqual(fresh.commands)
    expect(Object.keys(fresh.commands)).toContain('context:show-infra')
  })

  it("the README's exit-code table is the one in src/errors.ts (run `npm run readme` when this fails)", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf(EXIT_CODES_START) + EXIT_CODES_START.length, readme.indexOf(EXIT_CODES_STOP)).trim()
    expect(section).toBe(exitCodeTable())
    for (const {code, meaning} of Object.values(EXIT_CODES)) {
      expect(section).toContain(`| ${code} |`)
      expect(section).toContain(meaning)
    }
  })

  it('the README lists every command of the manifest', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    for (const id of Object.keys(manifest.commands)) expect(readme).toContain(`## \`rdc ${id.replace(/:/g, ' ')}`)
  })
})
