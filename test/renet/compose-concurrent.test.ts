/**
 * Several `renet compose` processes in one repository at once (a Rediaccfile may start them in the background)
 * must not lose each other's slots. RENET_COMPOSE=true stands in for docker compose: only the slot file matters.
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const REPO_ROOT = join(import.meta.dirname, '..', '..')
const RENET = join(REPO_ROOT, 'dist', 'renet.cjs')

function renetCompose(cwd: string, root: string): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RENET, 'compose', '--repo-path', root, '--network-id', '2816', '--', 'config'], {
      cwd,
      env: {...process.env, RENET_COMPOSE: 'true'},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('close', (code) => resolve({code, stderr}))
  })
}

describe('renet compose run concurrently in one repository', () => {
  let root: string
  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-renet.mjs')], {cwd: REPO_ROOT})
    root = mkdtempSync(join(tmpdir(), 'rdc-compose-concurrent-'))
  })
  afterAll(() => rmSync(root, {recursive: true, force: true}))

  it('keeps every service of every process, each on its own slot', async () => {
    const folders = Array.from({length: 6}, (_, i) => `part${i}`)
    for (const [i, folder] of folders.entries()) {
      mkdirSync(join(root, folder))
      const services = ['a', 'b', 'c'].map((s) => `  s${i}${s}:\n    image: rdc-test/busybox:local\n`).join('')
      writeFileSync(join(root, folder, 'compose.yaml'), `services:\n${services}`)
    }

    const results = await Promise.all(folders.map((folder) => renetCompose(join(root, folder), root)))
    expect(results.map((r) => r.code)).toEqual(folders.map(() => 0))
    const {services} = JSON.parse(readFileSync(join(root, '.rediacc.json'), 'utf8')) as {services: Record<string, {slot: number}>}
    expect(Object.keys(services).sort()).toEqual(folders.flatMap((_, i) => ['a', 'b', 'c'].map((s) => `s${i}${s}`)).sort())
    expect(Object.values(services).map((e) => e.slot).sort((a, b) => a - b)).toEqual(Array.from({length: 18}, (_, i) => i))
    expect(readdirSync(root).filter((name) => name.startsWith('.rediacc.json'))).toEqual(['.rediacc.json'])
    for (const folder of folders) expect(readFileSync(join(root, folder, '.rediacc-compose.override.yml'), 'utf8')).toContain('rediacc.network_id: "2816"')
  })
})
