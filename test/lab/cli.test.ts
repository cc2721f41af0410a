import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli, cliEnv, spawnCli} from './index.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-lab-cli-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe("the lab's CLI runner", () => {
  it('runs with a context file of its own, keeping the caller\'s RDC_* and NODE_ENV out', () => {
    const saved = {...process.env}
    try {
      Object.assign(process.env, {RDC_CONTEXT: 'theirs', RDC_MACHINE: 'theirs', RDC_CF_DNS_TOKEN: 'theirs', NODE_ENV: 'test'})
      const env = cliEnv({config: join(dir, 'config.yaml'), env: {HOME: dir}})
      expect(env).toMatchObject({RDC_CONFIG: join(dir, 'config.yaml'), HOME: dir, NO_COLOR: '1'})
      for (const name of ['RDC_CONTEXT', 'RDC_MACHINE', 'RDC_CF_DNS_TOKEN', 'NODE_ENV']) expect(env[name], name).toBeUndefined()
      // Without a context file the caller's environment is the run's (tests of RDC_CONTEXT itself).
      expect(cliEnv()).toMatchObject({RDC_CONTEXT: 'theirs', RDC_MACHINE: 'theirs'})
    } finally {
      process.env = saved
    }
  })

  it('gives the exit code, both streams, the parsed --json output, and feeds standard input', async () => {
    const config = join(dir, 'config.yaml')
    const created = await cli(['context', 'create', 'lab', '--json'], {config, cwd: dir})
    expect(created.code).toBe(0)
    expect(created.json).toBeDefined()
    const missing = await cli(['context', 'show', 'nope', '--json'], {config, cwd: dir})
    expect(missing.code).toBe(4)
    expect(missing.json.error.kind).toBe('notFound')
    const added = await cli(['context', 'add-machine', 'm1', '--host', '198.51.100.7', '--user', 'deploy', '--host-key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'], {config, cwd: dir})
    expect(added.code, added.stderr).toBe(0)
    const token = await cli(['context', 'set-infra', 'm1', '--cf-dns-token', '-', '--no-token-check', '--json'], {config, cwd: dir, input: 'piped-token\n'})
    expect(token.code, token.stderr).toBe(0)
    expect(token.json.changed).toEqual(['cf-dns-token'])
  })

  it('hands back the live child: its output as it comes and its exit', async () => {
    const chunks: string[] = []
    const run = spawnCli(['context', 'list'], {config: join(dir, 'config.yaml'), cwd: dir, onOutput: (_stream, c) => chunks.push(c)})
    expect(run.pid).toBeGreaterThan(0)
    expect(await run.exit).toBe(0)
    expect(run.stdout()).toContain('lab')
    expect(chunks.join('')).toContain('lab')
    expect((await run.result).code).toBe(0)
  })
})
