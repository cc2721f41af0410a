import {mkdtemp, readdir, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, it} from 'vitest'

import {ConfigStore} from '../../src/config/store.js'
import {cli, ensureBuilt} from '../lab/index.js'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
const N = 20
let dir: string

beforeAll(async () => {
  ensureBuilt()
  dir = await mkdtemp(join(tmpdir(), 'rdc-foundation-concurrent-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

it(`${N} concurrent rdc processes running set-infra on ${N} machines lose no update`, async () => {
  const path = join(dir, 'config.yaml')
  const store = new ConfigStore(path)
  await store.update((c) => {
    c.current = 'prod'
    c.contexts.prod = {ssh: {}, machines: {}, repositories: {}}
    for (let i = 0; i < N; i++) c.contexts.prod.machines[`m-${i}`] = {host: `198.51.100.${i + 1}`, user: 'deploy', port: 22, hostKey: KEY, infra: {}}
  })
  const results = await Promise.all(
    Array.from({length: N}, (_, i) =>
      cli(['context', 'set-infra', `m-${i}`, '--public-ipv4', `198.51.100.${i + 1}`, '--allow-private', '--tcp-ports', String(2000 + i), '--base-domain', `m${i}.example.com`], {config: path, cwd: dir}),
    ),
  )
  for (const r of results) expect(r.stderr).toBe('')
  expect(results.map((r) => r.code)).toEqual(Array.from({length: N}, () => 0))
  const config = await store.read()
  for (let i = 0; i < N; i++) {
    expect(config.contexts.prod.machines[`m-${i}`].infra).toEqual({publicIPv4: `198.51.100.${i + 1}`, baseDomain: `m${i}.example.com`, tcpPorts: [2000 + i]})
  }
  expect((await stat(path)).mode & 0o777).toBe(0o600)
  expect(await readdir(dir)).toEqual(['config.yaml'])
}, 120_000)
