import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli, type CliResult, ensureBuilt} from '../lab/index.js'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
let dir: string

/** The built CLI on a context file of the test's own (colours stripped: CI=true makes chalk colour even a pipe). */
function rdcBin(args: string[], input?: string): Promise<CliResult> {
  return cli(args, {config: join(dir, 'config.yaml'), cwd: dir, input})
}

beforeAll(async () => {
  ensureBuilt()
  dir = await mkdtemp(join(tmpdir(), 'rdc-foundation-bin-'))
  await writeFile(join(dir, 'package.json'), '{"name": "app"}')
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('the installed entry point (bin/run.js, bundled CLI with code cache)', () => {
  it('runs commands, reads a project config (lazily imported cosmiconfig) and the token from stdin', async () => {
    expect((await rdcBin(['context', 'create', 'prod'])).code).toBe(0)
    expect((await rdcBin(['context', 'create', 'lab'])).code).toBe(0)
    expect((await rdcBin(['context', 'add-machine', 'edge', '--host', '198.51.100.9', '--user', 'deploy', '--host-key', KEY, '--context', 'lab'])).code).toBe(0)
    const token = 'stdin-SECRET-0123456789'
    const piped = await rdcBin(['context', 'set-infra', 'edge', '--context', 'lab', '--cf-dns-token', '-', '--no-token-check', '--json'], `${token}\n`)
    expect(piped.code).toBe(0)
    expect(JSON.parse(piped.stdout)).toMatchObject({changed: ['cf-dns-token'], infra: {cfDnsApiToken: '***'}})
    expect(piped.stdout + piped.stderr).not.toContain(token)
    await writeFile(join(dir, '.rdcrc.yaml'), 'context: lab\nmachine: edge\n')
    const shown = await rdcBin(['context', 'show-infra', '--json'])
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toMatchObject({context: 'lab', machine: 'edge', infra: {cfDnsApiToken: '***', cfDnsApiTokenSource: 'file'}})
    expect(shown.stdout).not.toContain(token)
  })

  it('prints help for a command, exits 127 for an unknown one and 2 for a usage error', async () => {
    const help = await rdcBin(['context', 'set-infra', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--cf-dns-token')
    expect(help.stdout).toContain('RDC_CONTEXT')
    const unknown = await rdcBin(['context', 'show-infar'])
    // As a shell does for a command it cannot find (README, Exit codes).
    expect(unknown.code).toBe(127)
    expect(unknown.stderr).toContain('context show-infar is not an rdc command')
    const usage = await rdcBin(['context', 'set-infra', 'edge', '--context', 'lab'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('Nothing to change')
  })
})
