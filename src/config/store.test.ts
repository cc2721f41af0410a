import {mkdtemp, readdir, readFile, rm, stat, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError} from '../errors.js'
import {acquireLock} from './lock.js'
import {ConfigStore} from './store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdc-foundation-store-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'

async function configError(fn: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('ConfigStore', () => {
  it('reads a missing file as an empty version-1 config without creating it', async () => {
    const store = new ConfigStore(join(dir, 'nested', 'config.yaml'))
    expect(await store.read()).toEqual({version: 1, contexts: {}})
    await expect(stat(join(dir, 'nested'))).rejects.toThrow()
  })

  it('creates the file 0600 in a 0700 folder and leaves no temp or lock files', async () => {
    const path = join(dir, 'rediacc', 'config.yaml')
    const store = new ConfigStore(path)
    await store.update((c) => {
      c.contexts.prod = {ssh: {}, machines: {}, repositories: {}}
      c.current = 'prod'
    })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'rediacc'))).mode & 0o777).toBe(0o700)
    expect(await readdir(join(dir, 'rediacc'))).toEqual(['config.yaml'])
    expect(await store.read()).toEqual({version: 1, current: 'prod', contexts: {prod: {ssh: {}, machines: {}, repositories: {}}}})
  })

  it('replaces the file by rename (a new inode) and writes nothing when the mutation throws', async () => {
    const path = join(dir, 'config.yaml')
    const store = new ConfigStore(path)
    await store.update((c) => {
      c.contexts.a = {ssh: {}, machines: {}, repositories: {}}
    })
    const before = await readFile(path)
    const inode = (await stat(path)).ino
    await expect(store.update(() => {
      throw new Error('boom')
    })).rejects.toThrow('boom')
    expect(await readFile(path)).toEqual(before)
    await store.update((c) => {
      c.contexts.b = {ssh: {}, machines: {}, repositories: {}}
    })
    expect((await stat(path)).ino).not.toBe(inode)
    expect(Object.keys((await store.read()).contexts)).toEqual(['a', 'b'])
    expect(await readdir(dir)).toEqual(['config.yaml'])
  })

  it('refuses to write a mutation that makes the file invalid', async () => {
    const store = new ConfigStore(join(dir, 'config.yaml'))
    const err = await configError(() => store.update((c) => {
      c.contexts['Bad Name'] = {ssh: {}, machines: {}, repositories: {}}
    }))
    expect(err.message).toContain('contexts.Bad Name')
    await expect(stat(join(dir, 'config.yaml'))).rejects.toThrow()
  })

  it('names the key path and line of an invalid value and never rewrites the file', async () => {
    const path = join(dir, 'config.yaml')
    const text = [
      'version: 1',
      'current: prod',
      'contexts:',
      '  prod:',
      '    machines:',
      '      server-1:',
      '        host: 198.51.100.7',
      '        user: deploy',
      `        hostKey: ${KEY}`,
      '        infra:',
      '          publicIPv4: 2001:db8::1',
      '          tcpPorts: [25, 143]',
      '',
    ].join('\n')
    await writeFile(path, text, {mode: 0o600})
    const store = new ConfigStore(path)
    const err = await configError(() => store.read())
    expect(err.message).toContain('contexts.prod.machines.server-1.infra.publicIPv4')
    expect(err.message).toContain('line 11')
    expect(err.exitCode).toBe(3)
    const err2 = await configError(() => store.update((c) => {
      c.current = 'prod'
    }))
    expect(err2.message).toContain('line 11')
    expect(await readFile(path, 'utf8')).toBe(text)
  })

  it('reports schema errors (wrong type, unknown key) with their line', async () => {
    const path = join(dir, 'config.yaml')
    await writeFile(path, 'version: 1\ncontexts:\n  prod:\n    machines:\n      m1:\n        host: h\n        user: u\n        port: "twenty-two"\n')
    const err = await configError(() => new ConfigStore(path).read())
    expect(err.message).toContain('contexts.prod.machines.m1.port')
    expect(err.message).toContain('line 8')
    await writeFile(path, 'version: 1\ncontexts:\n  prod:\n    colour: blue\n')
    const err2 = await configError(() => new ConfigStore(path).read())
    expect(err2.message).toContain('contexts.prod')
    expect(err2.message).toContain('line 3')
  })

  it('reports YAML syntax errors with their line, and files from a newer rdc', async () => {
    const path = join(dir, 'config.yaml')
    await writeFile(path, 'version: 1\ncontexts:\n  prod: {machines: [\n')
    expect((await configError(() => new ConfigStore(path).read())).message).toMatch(/not valid YAML \(line \d\)/)
    await writeFile(path, 'version: 7\ncontexts: {}\n')
    const err = await configError(() => new ConfigStore(path).read())
    expect(err.message).toContain('newer rdc')
    expect(err.message).toContain('line 1')
  })

  it('migrates an unversioned file (sshKey → privateKeyPath) on read and stores version 1 on the next write', async () => {
    const path = join(dir, 'config.yaml')
    await writeFile(path, 'current: prod\ncontexts:\n  prod:\n    machines:\n      m1: {host: h, user: u, sshKey: ~/.ssh/id_ed25519}\n')
    const store = new ConfigStore(path)
    const config = await store.read()
    expect(config.version).toBe(1)
    expect(config.contexts.prod.machines.m1).toEqual({host: 'h', user: 'u', port: 22, privateKeyPath: '~/.ssh/id_ed25519', infra: {}})
    expect(await readFile(path, 'utf8')).not.toContain('version')
    await store.update(() => {})
    const written = await readFile(path, 'utf8')
    expect(written).toMatch(/^version: 1$/m)
    expect(written).not.toContain('sshKey')
  })

  it('serialises concurrent updates in one process without losing any', async () => {
    const store = new ConfigStore(join(dir, 'config.yaml'))
    await store.update((c) => {
      c.contexts.prod = {ssh: {}, machines: {}, repositories: {}}
    })
    await Promise.all(
      Array.from({length: 10}, (_, i) =>
        new ConfigStore(store.path).update(async (c) => {
          await new Promise((r) => setTimeout(r, 2))
          c.contexts.prod.machines[`m${i}`] = {host: 'h', user: 'u', port: 22, infra: {}}
        }),
      ),
    )
    expect(Object.keys((await store.read()).contexts.prod.machines).sort()).toEqual(Array.from({length: 10}, (_, i) => `m${i}`).sort())
  })

  it('takes over a lock left by a process that no longer exists', async () => {
    const path = join(dir, 'config.yaml')
    await writeFile(`${path}.lock`, '999999 deadbeef')
    await new ConfigStore(path).update((c) => {
      c.current = 'x'
      c.contexts.x = {ssh: {}, machines: {}, repositories: {}}
    })
    expect((await new ConfigStore(path).read()).current).toBe('x')
    expect(await readdir(dir)).toEqual(['config.yaml'])
  })

  it('never takes a lock from a live owner, however old; a breaker left by a crash does not block for long', async () => {
    const lockPath = join(dir, 'config.yaml.lock')
    await writeFile(lockPath, `${process.pid} mine`)
    const old = new Date(Date.now() - 10 * 60_000)
    await utimes(lockPath, old, old)
    await expect(acquireLock(lockPath, 400)).rejects.toThrow(/locked by another rdc process/)
    expect(await readFile(lockPath, 'utf8')).toBe(`${process.pid} mine`)

    await writeFile(lockPath, '999999 gone')
    await writeFile(`${lockPath}.break`, '')
    await utimes(`${lockPath}.break`, old, old)
    const held = await acquireLock(lockPath, 5000)
    expect((await readFile(lockPath, 'utf8')).startsWith(`${process.pid} `)).toBe(true)
    await held.release()
    expect(await readdir(dir)).toEqual([])
  })
})
