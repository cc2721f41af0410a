/**
 * `npm run bench:sync`: the repository sync on real files with the built renet as child processes (as over SSH,
 * minus the network): manifest time for N files (hashing everything, then with the stat cache), the first sync,
 * an unchanged re-run (the target: no file content, ≤ 2 s), and a re-run after changing a few files.
 * Usage: npm run bench:sync [-- --files 1000 --size 4096]
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {type SyncExec, syncRepository} from '../src/deploy/sync.js'
import {scanLocal} from '../src/deploy/sync-plan.js'
import {localTransport} from '../test/support/local-transport.js'

const {values} = parseArgs({options: {files: {type: 'string', default: '1000'}, size: {type: 'string', default: '4096'}}})
const FILES = Number(values.files)
const SIZE = Number(values.size)
const ROOT = join(import.meta.dirname, '..')
const RENET = join(ROOT, 'dist', 'renet.cjs')

const local = localTransport()
const exec: SyncExec = (argv, options) => local.exec(argv, options)

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return [value, ms(start)]
}

function manifestMs(server: string, cache: boolean): number {
  const start = process.hrtime.bigint()
  execFileSync(process.execPath, [RENET, 'sync', 'manifest', '--path', server, ...(cache ? [] : ['--no-cache'])], {maxBuffer: 256 * 1024 * 1024})
  return ms(start)
}

execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-renet.mjs')], {cwd: ROOT})
const base = mkdtempSync('/tmp/rdc-compose-bench-sync-')
try {
  const local = join(base, 'local')
  const server = join(base, 'server')
  mkdirSync(local)
  writeFileSync(join(local, 'docker-compose.yml'), 'services:\n  db:\n    image: x\n    volumes: ["./data/db:/var/lib/db"]\n')
  writeFileSync(join(local, 'Rediaccfile'), 'up() { renet compose -- up -d; }\n')
  const old = new Date(Date.now() - 60_000)
  for (let i = 0; i < FILES; i++) {
    const dir = join(local, `src${i % 20}`)
    mkdirSync(dir, {recursive: true})
    const path = join(dir, `file${i}.txt`)
    writeFileSync(path, Buffer.alloc(SIZE, i % 251))
    utimesSync(path, old, old)
  }

  const exec0 = exec
  const renet = [process.execPath, RENET]
  const [first, firstMs] = await timed(() => syncRepository({localDir: local, remoteDir: server, exec: exec0, renet}))
  const noCache = manifestMs(server, false)
  // The cache stores only files whose ctime is 2 s old (racy-timestamp guard): let the fresh copies age.
  await new Promise((resolve) => setTimeout(resolve, 2100))
  manifestMs(server, true)
  const cached = manifestMs(server, true)
  const [, scanMs] = await timed(() => scanLocal(local))
  const [unchanged, unchangedMs] = await timed(() => syncRepository({localDir: local, remoteDir: server, exec: exec0, renet}))
  for (let i = 0; i < 10; i++) writeFileSync(join(local, `src${i % 20}`, `file${i}.txt`), `changed ${i}\n`)
  const [changed, changedMs] = await timed(() => syncRepository({localDir: local, remoteDir: server, exec: exec0, renet}))

  const mb = (FILES * SIZE) / 1e6
  console.log(`repository: ${FILES} files × ${SIZE} B = ${mb.toFixed(1)} MB (local processes, no network)`)
  console.log(`first sync:           ${firstMs.toFixed(0)} ms, ${first.plan.upload.length} files, ${first.plan.bytes} B content, ${first.streamBytes} B stream`)
  console.log(`manifest, no cache:   ${noCache.toFixed(0)} ms (node start + walk + sha256 of ${mb.toFixed(1)} MB)`)
  console.log(`manifest, cached:     ${cached.toFixed(0)} ms (${(noCache / cached).toFixed(1)}× faster)`)
  console.log(`local scan:           ${scanMs.toFixed(0)} ms (in process, no cache on the workstation)`)
  console.log(`unchanged re-run:     ${unchangedMs.toFixed(0)} ms, ${unchanged.plan.bytes} B content, ${unchanged.streamBytes} B stream, apply run: ${unchanged.apply !== null}  (target ≤ 2000 ms, 0 B)`)
  console.log(`10 files changed:     ${changedMs.toFixed(0)} ms, ${changed.plan.upload.length} files, ${changed.plan.bytes} B content, ${changed.streamBytes} B stream`)
} finally {
  rmSync(base, {recursive: true, force: true})
}
