import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ConfigStore, type WriteStep} from '../../src/config/store.js'
import {cli, ensureBuilt, ROOT} from '../lab/index.js'

/**
 * A writer of the context file killed (SIGKILL) at each step of its write — holding only its lock's temp file,
 * holding the lock, with its temp file empty or complete, right after the rename — never blocks the next writer
 * (which otherwise waits 20 s and fails with exit 8) and leaves no file behind once the next one has written: not
 * a lock, not a temp file (the complete one holds the token).
 */

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
const STEPS: WriteStep[] = ['lock-temp-created', 'lock-linked', 'locked', 'temp-created', 'temp-written', 'renamed']
let dir: string

beforeAll(async () => {
  ensureBuilt()
  dir = await mkdtemp(join(tmpdir(), 'rdc-kill-writer-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function run(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = dir): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {cwd, env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    // 'close' comes after the child was reaped: its pid is free, no zombie answers kill(pid, 0).
    child.on('close', (code, signal) => resolve({code, signal, stderr, ms: performance.now() - started}))
  })
}

/** Runs kill-writer.ts (TypeScript through tsx, resolved from the project) until it kills itself at `step`. */
function killWriter(path: string, step: WriteStep): ReturnType<typeof run> {
  return run(['--import', 'tsx', join(ROOT, 'test', 'commands', 'kill-writer.ts'), path, step], process.env, ROOT)
}

async function seed(path: string): Promise<void> {
  await new ConfigStore(path).update((c) => {
    c.current = 'prod'
    c.contexts.prod = {ssh: {}, machines: {'server-1': {host: '198.51.100.7', user: 'deploy', port: 22, hostKey: KEY, infra: {}}}, repositories: {}}
  })
}

async function filesUnder(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort()
}

describe('a writer killed at each step of a write', () => {
  for (const step of STEPS) {
    it(`killed at "${step}": the next writer gets in at once, and no lock or temp file remains`, async () => {
      const folder = join(dir, step)
      await mkdir(folder)
      const path = join(folder, 'config.yaml')
      await seed(path)

      const killed = await killWriter(path, step)
      expect(killed.signal, killed.stderr).toBe('SIGKILL')
      // The file is always whole: the old content, or (killed after the rename) the new one.
      const after = await new ConfigStore(path).read()
      expect(after.contexts.prod.machines['server-1'].infra.cfDnsApiToken).toBe(step === 'renamed' ? 'tok-of-the-killed-writer' : undefined)
      if (step !== 'lock-temp-created') expect(await filesUnder(folder)).not.toEqual(['config.yaml'])

      // In-process: no waiting on the dead writer's lock.
      const started = performance.now()
      await new ConfigStore(path).update((c) => {
        c.contexts.prod.machines['server-1'].infra.baseDomain = 'example.com'
      })
      expect(performance.now() - started).toBeLessThan(1000)
      expect(await filesUnder(folder)).toEqual(['config.yaml'])

      // And the CLI, as a user runs it next.
      const cliStarted = performance.now()
      const next = await cli(['context', 'set-infra', 'server-1', '--cert-email', 'admin@example.com'], {config: path, cwd: dir})
      expect(next.code, next.stderr).toBe(0)
      expect(performance.now() - cliStarted).toBeLessThan(10_000)
      expect(await filesUnder(folder)).toEqual(['config.yaml'])
      for (const name of await filesUnder(folder)) {
        const text = await readFile(join(folder, name), 'utf8')
        expect(text.includes('tok-of-the-killed-writer')).toBe(step === 'renamed')
      }
    }, 60_000)
  }

  it('killed with its temp file complete beside a linked file\'s target: cleaned there, the link kept', async () => {
    const folder = join(dir, 'linked')
    await mkdir(join(folder, 'dotfiles'), {recursive: true})
    const target = join(folder, 'dotfiles', 'rdc.yaml')
    await seed(target)
    const path = join(folder, 'config.yaml')
    await symlink('dotfiles/rdc.yaml', path)
    const killed = await killWriter(path, 'temp-written')
    expect(killed.signal, killed.stderr).toBe('SIGKILL')
    const left = await filesUnder(join(folder, 'dotfiles'))
    expect(left.filter((n) => n !== 'rdc.yaml' && n !== 'rdc.yaml.lock')).toEqual([expect.stringMatching(/^rdc\.yaml\.\d+-.*\.tmp$/)])
    await new ConfigStore(path).update((c) => {
      c.contexts.prod.machines['server-1'].infra.baseDomain = 'example.com'
    })
    expect(await filesUnder(join(folder, 'dotfiles'))).toEqual(['rdc.yaml'])
    expect(await filesUnder(folder)).toEqual(['config.yaml', 'dotfiles'])
  }, 60_000)
})
