/**
 * The repository sync end to end without SSH: the built dist/renet.cjs runs `renet sync manifest` and
 * `renet sync apply` as child processes on a temporary "server" folder, driven by syncRepository from a local
 * folder that changes between runs.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type SyncExec, syncRepository} from '../../src/deploy/sync.js'
import {type ApplyHeader, collect, emptyHeader, encodeApplyStream} from '../../src/renet/sync/wire.js'
import {localTransport} from '../support/local-transport.js'

const REPO_ROOT = join(import.meta.dirname, '..', '..')
const RENET = join(REPO_ROOT, 'dist', 'renet.cjs')
const EXAMPLES = join(REPO_ROOT, 'examples')

/** Runs argv locally as the SSH transport would run it on the server; records what went over stdin. */
function localExec(log: Array<{argv: string[]; stdinBytes: number}>): SyncExec {
  const local = localTransport()
  return (argv, options) => {
    log.push({argv, stdinBytes: options?.stdin?.length ?? 0})
    return local.exec(argv, options)
  }
}

function renetArgv(...args: string[]): string[] {
  return [process.execPath, RENET, 'sync', ...args]
}

describe('renet sync manifest/apply driven by syncRepository', () => {
  let base: string
  let local: string
  let server: string
  const log: Array<{argv: string[]; stdinBytes: number}> = []
  const sync = () => syncRepository({localDir: local, remoteDir: server, exec: localExec(log), renet: [process.execPath, RENET]})

  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-renet.mjs')], {cwd: REPO_ROOT})
    base = mkdtempSync('/tmp/rdc-compose-sync-it-')
    local = join(base, 'local', 'webapp')
    server = join(base, 'server', 'mnt', 'rediacc', 'repos', 'webapp')
    cpSync(join(EXAMPLES, 'webapp'), local, {recursive: true})
  })

  afterAll(() => rmSync(base, {recursive: true, force: true}))

  it('first run: sends every file into a folder that does not exist yet, leaving out .git and node_modules', async () => {
    mkdirSync(join(local, '.git'))
    writeFileSync(join(local, '.git', 'HEAD'), 'ref: refs/heads/main\n')
    mkdirSync(join(local, 'node_modules', 'x'), {recursive: true})
    writeFileSync(join(local, 'node_modules', 'x', 'index.js'), '')
    // Local development data in the data folder never travels.
    mkdirSync(join(local, 'data', 'postgres'), {recursive: true})
    writeFileSync(join(local, 'data', 'postgres', 'dev.db'), 'local dev data')

    const report = await sync()
    expect(report.protected).toEqual(['data/postgres'])
    expect(report.plan.upload.map((u) => u.path).sort()).toEqual(['.gitignore', 'README.md', 'Rediaccfile', 'docker-compose.yml', 'www/index.html'])
    expect(report.apply).toMatchObject({ok: true, written: 5, deleted: 0, dirs: 2})
    expect(report.apply?.bytes).toBe(report.plan.bytes)
    expect(readFileSync(join(server, 'www', 'index.html'), 'utf8')).toBe(readFileSync(join(local, 'www', 'index.html'), 'utf8'))
    expect(statSync(join(server, 'Rediaccfile')).mode & 0o777).toBe(statSync(join(local, 'Rediaccfile')).mode & 0o777)
    expect(existsSync(join(server, '.git'))).toBe(false)
    expect(existsSync(join(server, 'node_modules'))).toBe(false)
    expect(existsSync(join(server, 'data', 'postgres', 'dev.db'))).toBe(false)
    // Two execs: manifest, then apply with the content on stdin; the exclusions go to both.
    expect(log.map((l) => l.argv.slice(2, 4))).toEqual([
      ['sync', 'manifest'],
      ['sync', 'apply'],
    ])
    expect(log[0].argv.slice(4)).toEqual(['--path', server, '--exclude', '/data/postgres', '--exclude', '.git', '--exclude', 'node_modules'])
  })

  it('an unchanged re-run sends no file content and runs only the manifest', async () => {
    // What the server wrote meanwhile: slots, the compose override, the database's files.
    writeFileSync(join(server, '.rediacc.json'), '{"services":{"postgres":{"slot":0},"webapp":{"slot":1}}}\n')
    writeFileSync(join(server, '.rediacc-compose.override.yml'), 'services: {}\n')
    mkdirSync(join(server, 'data', 'postgres'), {recursive: true})
    writeFileSync(join(server, 'data', 'postgres', 'PG_VERSION'), '16\n')
    log.length = 0
    const report = await sync()
    expect(report.plan.bytes).toBe(0)
    // .gitignore, README.md, Rediaccfile, docker-compose.yml, www, www/index.html, data.
    expect(report.plan.unchanged).toBe(7)
    expect(report.streamBytes).toBe(0)
    expect(report.apply).toBeNull()
    expect(log.map((l) => [l.argv[3], l.stdinBytes])).toEqual([['manifest', 0]])
  })

  it('sends an added and a modified file, applies a mode change without content, deletes what was deleted', async () => {
    writeFileSync(join(local, 'www', 'about.html'), '<p>about</p>\n')
    writeFileSync(join(local, 'www', 'index.html'), '<h1>webapp v2</h1>\n')
    chmodSync(join(local, 'Rediaccfile'), 0o700)
    rmSync(join(local, 'README.md'))
    symlinkSync('www/index.html', join(local, 'home.html'))
    log.length = 0
    const report = await sync()
    expect(report.plan.upload.map((u) => u.path)).toEqual(['www/about.html', 'www/index.html'])
    expect(report.plan.chmod).toEqual([{path: 'Rediaccfile', mode: 0o700}])
    expect(report.plan.links).toEqual([{path: 'home.html', target: 'www/index.html'}])
    expect(report.plan.delete).toEqual(['README.md'])
    expect(report.plan.bytes).toBe(13 + 19)
    expect(report.apply).toMatchObject({ok: true, written: 2, bytes: 32, deleted: 1, chmod: 1, links: 1, kept: [], errors: []})
    // The stream is the header plus exactly the changed content.
    expect(log[1].stdinBytes).toBeGreaterThan(32)
    expect(log[1].stdinBytes).toBeLessThan(32 + 1500)

    expect(readFileSync(join(server, 'www', 'index.html'), 'utf8')).toBe('<h1>webapp v2</h1>\n')
    expect(statSync(join(server, 'Rediaccfile')).mode & 0o777).toBe(0o700)
    expect(readlinkSync(join(server, 'home.html'))).toBe('www/index.html')
    expect(existsSync(join(server, 'README.md'))).toBe(false)
    // Server state and data untouched.
    expect(readFileSync(join(server, '.rediacc.json'), 'utf8')).toContain('"webapp":{"slot":1}')
    expect(readFileSync(join(server, '.rediacc-compose.override.yml'), 'utf8')).toBe('services: {}\n')
    expect(readFileSync(join(server, 'data', 'postgres', 'PG_VERSION'), 'utf8')).toBe('16\n')

    log.length = 0
    const again = await sync()
    expect(again.plan.bytes).toBe(0)
    expect(again.apply).toBeNull()
    expect(log).toHaveLength(1)
  })

  it('deleting the whole data folder locally leaves the server data alone; replacing a folder by a file works', async () => {
    rmSync(join(local, 'data'), {recursive: true})
    rmSync(join(local, 'www'), {recursive: true})
    writeFileSync(join(local, 'www'), 'now a file\n')
    const report = await sync()
    expect(report.plan.delete).toEqual(['www/about.html', 'www/index.html', 'www'])
    expect(report.plan.upload.map((u) => u.path)).toEqual(['www'])
    expect(report.apply).toMatchObject({ok: true, deleted: 3, written: 1, kept: []})
    expect(readFileSync(join(server, 'www'), 'utf8')).toBe('now a file\n')
    expect(readFileSync(join(server, 'data', 'postgres', 'PG_VERSION'), 'utf8')).toBe('16\n')
    expect(lstatSync(join(server, 'data')).isDirectory()).toBe(true)
    expect((await sync()).apply).toBeNull()
  })

  it('renet sync apply refuses a symlink escape and a path outside the folder, writing nothing outside it', async () => {
    const outside = join(base, 'outside')
    mkdirSync(outside)
    symlinkSync(outside, join(server, 'escape'))
    const content = 'should never land outside\n'
    const sha256 = createHash('sha256').update(content).digest('hex')
    const send = async (header: ApplyHeader) => {
      const stdin = await collect(encodeApplyStream(header, async function* () {
        yield Buffer.from(content)
      }))
      return localExec([])(renetArgv('apply', '--path', server), {stdin})
    }

    const through = await send({...emptyHeader(), files: [{path: 'escape/pwned', size: content.length, mode: 0o644, sha256}]})
    expect(through.code).toBe(1)
    expect(JSON.parse(through.stdout)).toMatchObject({ok: false, written: 0, errors: [{path: 'escape/pwned', message: 'escape is a symlink on the server; refusing to go through it'}]})
    expect(through.stderr).toBe('renet sync: escape/pwned: escape is a symlink on the server; refusing to go through it\n')

    const dotdot = await send({...emptyHeader(), files: [{path: '../outside/pwned', size: content.length, mode: 0o644, sha256}]})
    expect(dotdot.code).toBe(2)
    expect(JSON.parse(dotdot.stdout).error).toBe('refused: unsafe path "../outside/pwned" (absolute, empty, or with a \'.\' or \'..\' segment); nothing was changed')

    const state = await send({...emptyHeader(), delete: ['.rediacc.json']})
    expect(state.code).toBe(2)
    expect(existsSync(join(server, '.rediacc.json'))).toBe(true)
    expect(existsSync(join(outside, 'pwned'))).toBe(false)
  })

  it('renet sync manifest lists every entry with size, mode and sha256 or target, and what it left out', () => {
    const out = execFileSync(process.execPath, [RENET, 'sync', 'manifest', '--path', server, '--exclude', '/data/postgres'], {encoding: 'utf8'})
    const manifest = JSON.parse(out)
    expect(manifest.version).toBe(1)
    expect(manifest.entries.www).toEqual({type: 'file', size: 11, mode: 0o644, sha256: createHash('sha256').update('now a file\n').digest('hex')})
    expect(manifest.entries.escape).toEqual({type: 'symlink', target: join(base, 'outside')})
    expect(manifest.entries.data).toEqual({type: 'dir', mode: 0o755})
    expect(manifest.excluded.sort()).toEqual(['.rediacc-compose.override.yml', '.rediacc-sync.cache.json', '.rediacc.json', 'data/postgres'])
  })
})
