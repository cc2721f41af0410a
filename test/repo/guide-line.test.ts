/**
 * The guide's deploy line, `rdc repo up my-app -m server-1 --mount`, typed before the repository is recorded, then
 * on one recorded without a size: each error names the exact command that fixes it, exits with its documented
 * code and changes nothing. Offline: the machine points at a port nothing listens on (a connect would be exit 6).
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ensureBuilt, type Lab, newLab} from '../lab/index.js'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
let lab: Lab
let work: string

beforeAll(async () => {
  ensureBuilt()
  lab = newLab()
  for (const args of [
    ['context', 'create', 'production', '--use'],
    ['context', 'add-machine', 'server-1', '--host', '127.0.0.1', '--port', '9', '--user', 'root', '--host-key', KEY],
  ]) {
    const r = await lab.cli(args)
    if (r.code !== 0) throw new Error(r.stderr)
  }

  // Where the user stands: a folder holding my-app/ with its compose file.
  work = join(lab.dir, 'work')
  mkdirSync(join(work, 'my-app'), {recursive: true})
  writeFileSync(join(work, 'my-app', 'docker-compose.yml'), 'services: {}\n')
  writeFileSync(join(work, 'my-app', 'Rediaccfile'), 'up() {\n  renet compose -- up -d\n}\n')
}, 120_000)

afterAll(() => lab?.cleanup())

describe("the guide's rdc repo up my-app -m server-1 --mount", () => {
  it('for an unknown repository names the exact rdc repo create line, with the folder and a size (exit 4)', async () => {
    const before = readFileSync(lab.config, 'utf8')
    const r = await lab.cli(['repo', 'up', 'my-app', '-m', 'server-1', '--mount', '--json'], {cwd: work})
    expect(r.code).toBe(4)
    expect(r.json.error.kind).toBe('notFound')
    expect(r.json.error.message).toBe('No repository named "my-app" in context "production".')
    expect(r.json.error.suggestion).toContain('rdc repo create my-app -m server-1 --path ./my-app --size 2G')
    expect(readFileSync(lab.config, 'utf8')).toBe(before)

    // Standing in the repository's own folder, without --mount: `--path .` and no size.
    const inside = await lab.cli(['repo', 'up', 'my-app', '--json'], {cwd: join(work, 'my-app')})
    expect(inside.code).toBe(4)
    expect(inside.json.error.suggestion).toMatch(/rdc repo create my-app -m server-1 --path \.$/)
  })

  it('the line it names works as given', async () => {
    const r = await lab.cli(['repo', 'create', 'my-app', '-m', 'server-1', '--path', './my-app', '--size', '2G', '--json'], {cwd: work})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({name: 'my-app', machine: 'server-1', path: join(work, 'my-app'), size: '2G'})
  })

  it('for a repository created without --size says how to give it an image (exit 2, field --mount), before connecting', async () => {
    expect((await lab.cli(['repo', 'create', 'plain', '-m', 'server-1', '--path', './my-app'], {cwd: work})).code).toBe(0)
    const before = readFileSync(lab.config, 'utf8')
    const r = await lab.cli(['repo', 'up', 'plain', '-m', 'server-1', '--mount', '--json'], {cwd: work})
    expect(r.code).toBe(2)
    expect(r.json.error).toMatchObject({kind: 'usage', field: '--mount'})
    expect(r.json.error.message).toContain('has no image (it was created without --size)')
    expect(r.json.error.suggestion).toContain('rdc repo up plain -m server-1.')
    expect(r.json.error.suggestion).toContain(`rdc repo delete plain && rdc repo create plain -m server-1 --path ${join(work, 'my-app')} --size 2G && rdc repo up plain -m server-1 --mount`)
    expect(readFileSync(lab.config, 'utf8')).toBe(before)
  })

  it('a misspelt name gets the known names and the create line', async () => {
    const r = await lab.cli(['repo', 'up', 'my-ap', '--json'], {cwd: work})
    expect(r.code).toBe(4)
    expect(r.json.error.suggestion).toMatch(/^Did you mean "my-app"\?.*Or create it, then run this again: rdc repo create my-ap -m server-1 --path \.$/)
  })
})
