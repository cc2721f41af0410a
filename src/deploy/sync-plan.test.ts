import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {applyStream} from '../renet/sync/apply.js'
import {compilePatterns, patternForPath} from '../renet/sync/glob.js'
import {encodePlan, headerOf, isEmptyPlan, planSync, scanLocal, type SyncPlan} from './sync-plan.js'
import {entryAt, scanTree, SERVER_STATE_PATTERNS, type Tree, type TreeEntry} from '../renet/sync/tree.js'

// `__proto__` and `constructor`: file names that must not be read as properties of the trees' objects.
const NAMES = ['a', 'b', 'data', 'pg', 'x.txt', '.rediacc.json', 'node_modules', '.rediacc-compose.override.yml', '__proto__', 'constructor']
const FILE_MODES = [0o644, 0o755, 0o600]
const DIR_MODES = [0o755, 0o700]

const entryArb: fc.Arbitrary<TreeEntry> = fc.oneof(
  fc.record({type: fc.constant('file' as const), content: fc.constantFrom('', 'one', 'two', 'three\n'), mode: fc.constantFrom(...FILE_MODES)}).map(
    ({content, mode}) => ({type: 'file' as const, size: Buffer.byteLength(content), mode, sha256: content}),
  ),
  fc.record({type: fc.constant('symlink' as const), target: fc.constantFrom('a', '../b', '/etc')}),
  fc.record({type: fc.constant('dir' as const), mode: fc.constantFrom(...DIR_MODES)}),
)

/** A consistent tree: every parent of an entry is a folder. */
const treeArb: fc.Arbitrary<Tree> = fc
  .array(fc.tuple(fc.array(fc.constantFrom(...NAMES), {minLength: 1, maxLength: 3}), entryArb), {maxLength: 14})
  .map((items) => {
    const tree: Tree = Object.create(null) as Tree
    for (const [segments, entry] of items) {
      const path = segments.join('/')
      const parents = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'))
      if (parents.some((p) => entryAt(tree, p) !== undefined && tree[p].type !== 'dir')) continue
      if (entryAt(tree, path) !== undefined) continue
      for (const p of parents) if (entryAt(tree, p) === undefined) tree[p] = {type: 'dir', mode: 0o755}
      tree[path] = entry
    }

    return tree
  })

const protectedArb = fc.subarray(['data/pg', 'b', 'a/data'], {maxLength: 2})

/** What applying the plan's header does to a tree, as `renet sync apply` does it (the model). */
function applyModel(remote: Tree, plan: SyncPlan, local: Tree): Map<string, TreeEntry> {
  const out = new Map(Object.entries(remote))
  const under = (path: string) => [...out.keys()].filter((p) => p.startsWith(`${path}/`))
  for (const path of plan.delete) {
    if (out.get(path)?.type === 'dir' && under(path).length > 0) continue
    out.delete(path)
  }

  const ensureParents = (path: string) => {
    const segments = path.split('/')
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/')
      if (!out.has(parent)) out.set(parent, {type: 'dir', mode: 0o755})
    }
  }

  for (const dir of plan.dirs) {
    ensureParents(dir.path)
    if (!out.has(dir.path)) out.set(dir.path, {type: 'dir', mode: 0o755})
  }

  for (const link of plan.links) {
    ensureParents(link.path)
    out.set(link.path, {type: 'symlink', target: link.target})
  }

  for (const file of plan.upload) {
    ensureParents(file.path)
    // The content comes from the local file: the model's "sha256" is the content itself.
    out.set(file.path, {...(entryAt(local, file.path) as TreeEntry & {type: 'file'}), mode: file.mode})
  }

  for (const {path, mode} of [...plan.chmod, ...plan.dirs]) {
    const entry = out.get(path)
    if (entry !== undefined && entry.type !== 'symlink') out.set(path, {...entry, mode})
  }

  return out
}

function leftAloneFn(protectedPaths: readonly string[], ignore: readonly string[]) {
  const skip = compilePatterns([...SERVER_STATE_PATTERNS, ...ignore])
  return (path: string, entry: TreeEntry) =>
    protectedPaths.some((p) => path === p || path.startsWith(`${p}/`)) || skip.covers(path, entry.type === 'dir')
}

describe('planSync', () => {
  it('applying the plan to the remote tree gives the local tree; protected, ignored and server-state paths are untouched', () => {
    fc.assert(
      fc.property(treeArb, treeArb, protectedArb, fc.boolean(), (local, remote, protectedPaths, ignoreNodeModules) => {
        const ignore = ignoreNodeModules ? ['node_modules'] : []
        const plan = planSync(local, remote, {protected: protectedPaths, ignore})
        const after = applyModel(remote, plan, local)
        const afterTree = Object.fromEntries(after) as Tree
        const leftAlone = leftAloneFn(protectedPaths, ignore)
        const holds = (path: string) =>
          protectedPaths.some((p) => p.startsWith(`${path}/`)) || Object.entries(remote).some(([p, e]) => p.startsWith(`${path}/`) && leftAlone(p, e))
        const conflict = (path: string) => plan.conflicts.some((c) => path === c || path.startsWith(`${c}/`))

        // Every local path that is synced is on the server exactly as it is locally.
        for (const [path, entry] of Object.entries(local)) {
          if (leftAlone(path, entry) || conflict(path)) continue
          expect(after.get(path), path).toEqual(entry)
        }

        // Nothing else is left on the server except what is left alone (and the folders holding it).
        for (const [path, entry] of after) {
          if (entryAt(local, path) !== undefined && !conflict(path)) continue
          expect(leftAlone(path, entry) || holds(path), `${path} should have been deleted`).toBe(true)
        }

        // Protected and server-state paths of the server are exactly as they were.
        for (const [path, entry] of Object.entries(remote)) {
          if (leftAlone(path, entry)) expect(after.get(path), path).toEqual(entry)
        }

        // The plan never names a path that is left alone.
        for (const path of [...plan.delete, ...plan.upload.map((u) => u.path), ...plan.links.map((l) => l.path), ...plan.chmod.map((c) => c.path)]) {
          const entry = (entryAt(local, path) ?? entryAt(remote, path)) as TreeEntry
          expect(leftAlone(path, entry), path).toBe(false)
        }

        // Applying it again changes nothing and sends nothing.
        const again = planSync(local, afterTree, {protected: protectedPaths, ignore})
        expect(again.bytes).toBe(0)
        expect(again.upload).toEqual([])
        expect(again.links).toEqual([])
        expect(again.chmod).toEqual([])
        expect(again.dirs).toEqual([])
        expect(plan.bytes).toBe(plan.upload.reduce((sum, u) => sum + u.size, 0))
      }),
      {numRuns: 400},
    )
  })

  it('sends only what changed and counts the rest as unchanged', () => {
    const file = (sha256: string, mode = 0o644): TreeEntry => ({type: 'file', size: 10, mode, sha256})
    const local: Tree = {
      Rediaccfile: file('r'),
      'docker-compose.yml': file('c2'),
      www: {type: 'dir', mode: 0o755},
      'www/index.html': file('i', 0o600),
      'new.txt': file('n'),
    }
    const remote: Tree = {
      Rediaccfile: file('r'),
      'docker-compose.yml': file('c1'),
      www: {type: 'dir', mode: 0o755},
      'www/index.html': file('i'),
      'www/old.html': file('o'),
      '.rediacc.json': file('slots'),
      data: {type: 'dir', mode: 0o755},
    }
    const plan = planSync(local, remote, {protected: ['data/postgres']})
    expect(plan.upload.map((u) => u.path)).toEqual(['docker-compose.yml', 'new.txt'])
    expect(plan.chmod).toEqual([{path: 'www/index.html', mode: 0o600}])
    expect(plan.delete).toEqual(['www/old.html'])
    expect(plan.unchanged).toBe(2)
    expect(plan.bytes).toBe(20)
    expect(isEmptyPlan(planSync(local, local))).toBe(true)
    expect(headerOf(plan)).toMatchObject({version: 1, files: plan.upload, delete: ['www/old.html']})
  })

  it('deletes children before their folder and creates parents before children', () => {
    const remote: Tree = {old: {type: 'dir', mode: 0o755}, 'old/sub': {type: 'dir', mode: 0o755}, 'old/sub/f': {type: 'file', size: 1, mode: 0o644, sha256: 'x'}}
    const local: Tree = {n: {type: 'dir', mode: 0o755}, 'n/m': {type: 'dir', mode: 0o700}}
    const plan = planSync(local, remote)
    expect(plan.delete).toEqual(['old/sub/f', 'old/sub', 'old'])
    expect(plan.dirs).toEqual([
      {path: 'n', mode: 0o755},
      {path: 'n/m', mode: 0o700},
    ])
  })

  it('reports a local file that would replace the folder holding a data folder as a conflict, and keeps the folder', () => {
    const remote: Tree = {data: {type: 'dir', mode: 0o755}}
    const local: Tree = {data: {type: 'file', size: 1, mode: 0o644, sha256: 'x'}}
    const plan = planSync(local, remote, {protected: ['data/postgres']})
    expect(plan.conflicts).toEqual(['data'])
    expect(plan.delete).toEqual([])
    expect(plan.upload).toEqual([])
  })
})

describe('scanLocal', () => {
  it('hashes files, records modes and link targets, and leaves out .git, node_modules, .rdcignore paths, server state and special files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-sync-scan-'))
    try {
      writeFileSync(join(dir, '.rdcignore'), '# build output\n/build\n*.log\n\ncache/\n')
      for (const folder of ['.git', 'node_modules/x', 'api/node_modules', 'build', 'src/build', 'cache', 'data/pg']) mkdirSync(join(dir, folder), {recursive: true})
      for (const file of ['.git/HEAD', 'node_modules/x/i.js', 'api/node_modules/y', 'build/out', 'src/build/kept', 'cache/c', 'a.log', 'src/b.log', 'data/pg/db', '.rediacc.json']) {
        writeFileSync(join(dir, file), 'x')
      }

      writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n')
      chmodSync(join(dir, 'run.sh'), 0o750)
      writeFileSync(join(dir, 'cache.txt'), 'a file named like the folder pattern')
      symlinkSync('run.sh', join(dir, 'start'))
      execFileSync('mkfifo', [join(dir, 'pipe')])
      const {tree, ignore} = await scanLocal(dir, {exclude: [patternForPath('data/pg')]})
      expect(ignore).toEqual(['.git', 'node_modules', '/build', '*.log', 'cache/'])
      expect(Object.keys(tree)).toEqual(['.rdcignore', 'api', 'cache.txt', 'data', 'run.sh', 'src', 'src/build', 'src/build/kept', 'start'])
      expect(tree['run.sh']).toEqual({type: 'file', size: 10, mode: 0o750, sha256: createHash('sha256').update('#!/bin/sh\n').digest('hex')})
      expect(tree.start).toEqual({type: 'symlink', target: 'run.sh'})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('refuses a .rdcignore line it cannot read as a pattern, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-sync-scan-'))
    try {
      writeFileSync(join(dir, '.rdcignore'), '!keep.me\n')
      await expect(scanLocal(dir)).rejects.toThrow(".rdcignore line '!keep.me' is not supported")
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('planSync + renet sync apply on real folders', () => {
  const roots: string[] = []
  afterAll(() => {
    for (const root of roots) rmSync(root, {recursive: true, force: true})
  })

  function materialise(root: string, tree: Tree, contents: Map<string, string>): void {
    mkdirSync(root, {recursive: true})
    for (const [path, entry] of Object.entries(tree)) {
      const full = join(root, path)
      if (entry.type === 'dir') mkdirSync(full, {recursive: true})
      else if (entry.type === 'symlink') symlinkSync(entry.target, full)
      else writeFileSync(full, contents.get(entry.sha256) ?? entry.sha256)
    }

    // Modes after the content, deepest first, so a 0o700 folder is still writable while filling it.
    for (const [path, entry] of Object.entries(tree).reverse()) if (entry.type !== 'symlink') chmodSync(join(root, path), entry.mode)
  }

  it('the server folder ends equal to the local one; its data folders and state files keep their content', async () => {
    const base = mkdtempSync(join(tmpdir(), 'rdc-sync-prop-'))
    roots.push(base)
    let run = 0
    await fc.assert(
      fc.asyncProperty(treeArb, treeArb, protectedArb, async (localModel, remoteModel, protectedPaths) => {
        const dir = join(base, String(run++))
        materialise(join(dir, 'local'), localModel, new Map())
        materialise(join(dir, 'server'), remoteModel, new Map())
        // Data the server wrote into its protected folders and state files.
        const serverOnly = new Map<string, string>()
        for (const [path, entry] of Object.entries(remoteModel)) {
          if (entry.type === 'file' && (protectedPaths.some((p) => path === p || path.startsWith(`${p}/`)) || path.endsWith('.rediacc.json'))) {
            serverOnly.set(path, entry.sha256)
          }
        }

        const exclude = protectedPaths.map(patternForPath)
        const local = await scanLocal(join(dir, 'local'), {exclude})
        const before = await scanTree(join(dir, 'server'), {exclude: [...exclude, ...local.ignore]})
        const plan = planSync(local.tree, before.tree, {protected: protectedPaths, ignore: local.ignore, remoteExcluded: before.excluded})
        const result = await applyStream(join(dir, 'server'), encodePlan(plan, join(dir, 'local')), {exclude: [...exclude, ...local.ignore]})
        expect(result.errors).toEqual([])
        expect(result.bytes).toBe(plan.bytes)

        const after = await scanTree(join(dir, 'server'), {exclude: [...exclude, ...local.ignore]})
        const expected = Object.fromEntries(Object.entries(local.tree).filter(([p]) => !plan.conflicts.some((c) => p === c || p.startsWith(`${c}/`)))) as Tree
        const leftOut = [...protectedPaths, ...after.excluded]
        const kept = new Set(Object.keys(after.tree).filter((p) => leftOut.some((q) => q.startsWith(`${p}/`))))
        expect(Object.fromEntries(Object.entries(after.tree).filter(([p]) => !kept.has(p) || entryAt(expected, p) !== undefined))).toEqual(expected)

        for (const [path, content] of serverOnly) expect(readFileSync(join(dir, 'server', path), 'utf8'), path).toBe(content)

        const second = planSync(local.tree, after.tree, {protected: protectedPaths, ignore: local.ignore, remoteExcluded: after.excluded})
        expect(result.kept).toEqual([])
        expect(isEmptyPlan(second)).toBe(true)
      }),
      {numRuns: 80},
    )
  })
})
