/**
 * Bad input to the repo commands, refused before anything connects: the machine in the context points at a port
 * nothing listens on, so a command that tried to connect would fail with a connection error (exit 6) instead.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ensureBuilt, type Lab, newLab} from '../lab/index.js'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
let lab: Lab

beforeAll(async () => {
  ensureBuilt()
  lab = newLab()
  for (const args of [
    ['context', 'create', 'lab', '--use'],
    ['context', 'add-machine', 'server-1', '--host', '127.0.0.1', '--port', '9', '--user', 'root', '--host-key', KEY],
  ]) {
    const r = await lab.cli(args)
    if (r.code !== 0) throw new Error(r.stderr)
  }
}, 120_000)

afterAll(() => lab?.cleanup())

const UP = 'up() {\n  renet compose -- up -d\n}\n'

/** A repository folder with FILES, recorded as NAME; returns `rdc repo up NAME --json`'s error. */
async function upError(name: string, files: Record<string, string>): Promise<{code: number; error: any}> {
  const dir = join(lab.dir, 'repos', name)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), {recursive: true})
    writeFileSync(join(dir, path), text)
  }

  mkdirSync(dir, {recursive: true})
  const created = await lab.cli(['repo', 'create', name, '-m', 'server-1', '--path', dir])
  expect(created.code, created.stderr).toBe(0)
  const r = await lab.cli(['repo', 'up', name, '--json'])
  return {code: r.code, error: r.json?.error}
}

describe('repo create and list', () => {
  it('gives network ids 2816 + 64·n per machine, lowest free first', async () => {
    const ids: number[] = []
    for (const name of ['alpha', 'beta', 'gamma']) ids.push((await lab.cli(['repo', 'create', name, '-m', 'server-1', '--json'])).json.networkId)
    expect(ids).toEqual([2816, 2880, 2944])
    const list = await lab.cli(['repo', 'list', '--json'])
    expect(list.json.map((r: any) => [r.name, r.networkId, r.network])).toEqual([
      ['alpha', 2816, '127.0.11.0/26'],
      ['beta', 2880, '127.0.11.64/26'],
      ['gamma', 2944, '127.0.11.128/26'],
    ])
    // The path defaults to the current folder, stored absolute.
    expect(list.json[0].path).toBe(lab.dir)
  })

  it('refuses a taken name, a bad size and an unknown machine (with a did-you-mean)', async () => {
    const taken = await lab.cli(['repo', 'create', 'alpha', '-m', 'server-1', '--json'])
    expect(taken.code).toBe(8)
    expect(taken.json.error.message).toBe('Context "lab" already has a repository named "alpha" (on server-1, network 2816).')
    const size = await lab.cli(['repo', 'create', 'delta', '-m', 'server-1', '--size', '2 gigs', '--json'])
    expect(size.json.error).toMatchObject({kind: 'usage', field: '--size'})
    const unknown = await lab.cli(['repo', 'create', 'delta', '-m', 'server-2', '--json'])
    expect(unknown.code).toBe(4)
    expect(unknown.json.error.message).toBe('No machine named "server-2" in context "lab".')
    expect(unknown.json.error.suggestion).toBe('Did you mean "server-1"? Known machines: server-1.')
    const up = await lab.cli(['repo', 'up', 'alpha', '-m', 'server-2', '--json'])
    expect(up.json.error.suggestion).toBe('Did you mean "server-1"? Known machines: server-1.')
    const repo = await lab.cli(['repo', 'up', 'alpah', '--json'])
    expect(repo.code).toBe(4)
    expect(repo.json.error.suggestion).toMatch(/^Did you mean "alpha"\?/)
  })
})

describe('repo delete', () => {
  it('asks the server first (here unreachable: a connection error, the record stays); --force removes only the record', async () => {
    expect((await lab.cli(['repo', 'create', 'doomed', '-m', 'server-1', '--json'])).code).toBe(0)
    const asked = await lab.cli(['repo', 'delete', 'doomed', '--json'])
    expect(asked.code).toBe(6)
    expect((await lab.cli(['repo', 'list', '--json'])).json.map((r: any) => r.name)).toContain('doomed')
    const both = await lab.cli(['repo', 'delete', 'doomed', '--force', '--purge'])
    expect(both.code).toBe(2)
    const forced = await lab.cli(['repo', 'delete', 'doomed', '--force', '--json'])
    expect(forced.json).toEqual({repository: 'doomed', machine: 'server-1', networkId: forced.json.networkId, purged: false})
    expect((await lab.cli(['repo', 'list', '--json'])).json.map((r: any) => r.name)).not.toContain('doomed')
  })
})

describe('repo up refuses bad repositories before connecting', () => {
  it('no compose file', async () => {
    const {code, error} = await upError('nocompose', {Rediaccfile: UP})
    expect(code).toBe(2)
    expect(error.message).toMatch(/has no compose file beside its Rediaccfile\.$/)
    expect(error.suggestion).toContain('docker-compose.yml')
  })

  it('a compose file that does not parse, with its line and column', async () => {
    const {code, error} = await upError('badyaml', {Rediaccfile: UP, 'docker-compose.yml': 'services:\n  web:\n    image: x\n   bad: [\n'})
    expect(code).toBe(2)
    expect(error.message).toMatch(/docker-compose\.yml:4:\d+: the compose file does not parse/)
    expect(error.suggestion).toMatch(/^Fix the YAML at line 4, column \d+/)
  })

  it('a Rediaccfile without up', async () => {
    const {code, error} = await upError('noup', {Rediaccfile: 'prep() {\n  true\n}\n', 'docker-compose.yml': 'services:\n  web:\n    image: x\n'})
    expect(code).toBe(2)
    expect(error.message).toMatch(/noup\/Rediaccfile has no up function\.$/)
  })

  it('a service name that cannot become an environment variable', async () => {
    const {code, error} = await upError('badname', {Rediaccfile: UP, 'docker-compose.yml': 'services:\n  2fast:\n    image: x\n'})
    expect(code).toBe(2)
    expect(error.message).toContain("service name '2fast' cannot become an environment variable")
  })

  it('more than 61 services', async () => {
    const services = Array.from({length: 62}, (_, i) => `  s${i}:\n    image: x\n`).join('')
    const {code, error} = await upError('toomany', {Rediaccfile: UP, 'docker-compose.yml': `services:\n${services}`})
    expect(code).toBe(2)
    expect(error.message).toBe('The repository declares 62 services; a repository has room for 61.')
  })

  it('a missing folder, and --mount on a repository without an image', async () => {
    const gone = await lab.cli(['repo', 'create', 'gone', '-m', 'server-1', '--path', join(lab.dir, 'nowhere')])
    expect(gone.code).toBe(0)
    const r = await lab.cli(['repo', 'up', 'gone', '--json'])
    expect(r.json.error).toMatchObject({kind: 'usage', field: '--path', message: `The repository folder ${join(lab.dir, 'nowhere')} does not exist.`})
    const mount = await lab.cli(['repo', 'up', 'gone', '--mount', '--json'])
    expect(mount.json.error).toMatchObject({kind: 'usage', field: '--mount'})
  })

  it('--lock-wait takes whole seconds from 0 to a day, for up and down alike', async () => {
    for (const [command, value] of [['up', '-5'], ['down', 'soon'], ['up', '86401']]) {
      const r = await lab.cli(['repo', command!, 'gone', '--lock-wait', value!])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(/lock-wait/)
    }
  })

  it('a good folder gets as far as connecting (so the checks above are what stopped the others)', async () => {
    const {code, error} = await upError('good', {Rediaccfile: UP, 'docker-compose.yml': 'services:\n  web:\n    image: x\n'})
    expect(code).toBe(6)
    expect(error.kind).toBe('connection')
  })
})
