import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {Plugin} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {EXIT_CODES} from '../src/errors.js'
import {EXIT_CODES_START, EXIT_CODES_STOP, exitCodeTable} from '../src/output/exit-code-table.js'
import {ensureBuilt, ROOT} from './lab/index.js'

/** The hand-written documentation, whose links must lead somewhere. */
const DOCS = ['README.md', 'CONTRIBUTING.md', 'docs/commands.md', 'docs/configuration.md', 'docs/demo.md', 'docs/diagnose.md', 'docs/push-infra.md', 'docs/repositories.md']

const read = (path: string) => readFile(join(ROOT, path), 'utf8')

/** GitHub's anchors of a Markdown file's headings (lower case, punctuation dropped, spaces to hyphens, -1 for repeats). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of withoutCodeBlocks(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1]
    if (heading === undefined) continue
    const slug = heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    out.add(n === 0 ? slug : `${slug}-${n}`)
  }

  return out
}

function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```.*?^```/gms, '')
}

describe('generated files are current', () => {
  it('oclif.manifest.json matches the built commands (run `npm run manifest` when this fails)', async () => {
    ensureBuilt()
    const committed = JSON.parse(await read('oclif.manifest.json')) as {commands: Record<string, unknown>; version: string}
    const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
    await plugin.load()
    const fresh = JSON.parse(JSON.stringify(plugin.manifest)) as {commands: Record<string, unknown>}
    const pkg = JSON.parse(await read('package.json')) as {version: string}
    expect(committed.version).toBe(pkg.version)
    expect(Object.keys(committed.commands).sort()).toEqual(Object.keys(fresh.commands).sort())
    expect(committed.commands).toEqual(fresh.commands)
    expect(Object.keys(fresh.commands)).toContain('context:show-infra')
  })

  it("the README's exit-code table is the one in src/errors.ts (run `npm run readme` when this fails)", async () => {
    const readme = await read('README.md')
    const section = readme.slice(readme.indexOf(EXIT_CODES_START) + EXIT_CODES_START.length, readme.indexOf(EXIT_CODES_STOP)).trim()
    expect(section).toBe(exitCodeTable())
    for (const {code, meaning} of Object.values(EXIT_CODES)) {
      expect(section).toContain(`| ${code} |`)
      expect(section).toContain(meaning)
    }
  })

  it('docs/commands.md and the README are what `npm run readme` writes from the manifest (run it when this fails)', () => {
    ensureBuilt()
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/readme.mjs'), '--check'], {cwd: ROOT, encoding: 'utf8', timeout: 60_000})
    expect(r.stderr.split('\n').filter((l) => l.includes('scripts/readme.mjs'))).toEqual([])
    expect(r.status).toBe(0)
  })

  it('docs/commands.md lists every command of the manifest', async () => {
    const reference = await read('docs/commands.md')
    const manifest = JSON.parse(await read('oclif.manifest.json')) as {commands: Record<string, unknown>}
    for (const id of Object.keys(manifest.commands)) expect(reference).toContain(`## \`rdc ${id.replace(/:/g, ' ')}`)
  })
})

describe('the documentation', () => {
  it('links only to files and headings that exist', async () => {
    const broken: string[] = []
    for (const doc of DOCS) {
      const text = withoutCodeBlocks(await read(doc))
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue
        const [path, anchor] = target!.split('#') as [string, string | undefined]
        const file = path === '' ? doc : join(dirname(doc), path)
        if (!existsSync(join(ROOT, file))) {
          broken.push(`${doc}: ${target} (no ${file})`)
          continue
        }

        if (anchor !== undefined && file.endsWith('.md') && !anchors(await read(file)).has(anchor)) broken.push(`${doc}: ${target} (no heading #${anchor} in ${file})`)
      }
    }

    expect(broken).toEqual([])
  })

  it('never tells anyone to install rdc from npm: the npm package of that name is another project', async () => {
    for (const doc of DOCS) expect(await read(doc), doc).not.toMatch(/npm (install|i) (-g|--global) rdc\b/)
  })

  it('keeps the README a front page: under 250 lines, the details in docs/', async () => {
    const readme = await read('README.md')
    expect(readme.split('\n').length).toBeLessThan(250)
    expect(readme).not.toContain('<!-- commands -->')
  })
})
