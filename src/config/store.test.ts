import {chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError} from '../errors.js'
import {acquireLock, tempOwner} from './lock.js'
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

/** A pid that is certainly not running: the largest Linux allows is 4194304. */
const DEAD = 4_194_305

describe('ConfigStore: the file as a link, leftovers of killed writers', () => {
  it('writes through a symbolic link to its target, keeping the link and the target\'s mode', async () => {
    await mkdir(join(dir, 'dotfiles'))
    const target = join(dir, 'dotfiles', 'rdc.yaml')
    await writeFile(target, 'version: 1\ncontexts: {}\n')
    await chmod(target, 0o640)
    const path = join(dir, 'config.yaml')
    await symlink('dotfiles/rdc.yaml', path)
    await new ConfigStore(path).update((c) => {
      c.contexts.prod = {ssh: {}, machines: {}, repositories: {}}
    })
    expect((await lstat(path)).isSymbolicLink()).toBe(true)
    expect(await readlink(path)).toBe('dotfiles/rdc.yaml')
    expect((await stat(target)).mode & 0o777).toBe(0o640)
    expect(await readFile(target, 'utf8')).toContain('prod:')
    expect((await readdir(join(dir, 'dotfiles'))).sort()).toEqual(['rdc.yaml'])
    expect(await readdir(dir)).toEqual(['config.yaml', 'dotfiles'])
  })

  it('creates the target of a dangling link (0600), through a chain of links', async () => {
    const path = join(dir, 'config.yaml')
    await symlink('second.yaml', path)
    await symlink(join(dir, 'real', 'config.yaml'), join(dir, 'second.yaml'))
    await new ConfigStore(path).update((c) => {
      c.current = 'x'
      c.contexts.x = {ssh: {}, machines: {}, repositories: {}}
    })
    expect((await lstat(path)).isSymbolicLink()).toBe(true)
    expect((await lstat(join(dir, 'second.yaml'))).isSymbolicLink()).toBe(true)
    expect((await stat(join(dir, 'real', 'config.yaml'))).mode & 0o777).toBe(0o600)
    expect((await new ConfigStore(path).read()).current).toBe('x')
  })

  it('refuses a loop of links as a config error', async () => {
    const path = join(dir, 'config.yaml')
    await symlink('b.yaml', path)
    await symlink('config.yaml', join(dir, 'b.yaml'))
    const err = await configError(() => new ConfigStore(path).update(() => {}))
    expect(err.exitCode).toBe(3)
  })

  it('removes rdc\'s own temp files of writers that are gone, and nothing else', async () => {
    const path = join(dir, 'config.yaml')
    await writeFile(path, 'version: 1\ncontexts: {}\n', {mode: 0o600})
    const dead = [`config.yaml.${DEAD}-lz1x-0-abc123.tmp`, `config.yaml.lock.${DEAD}-lz1x-1-x.tmp`, `config.yaml.${DEAD}-a-b-.tmp`]
    const kept = [
      `config.yaml.${process.pid}-lz1x-0-abc123.tmp`, // a live writer's
      `config.yaml.${DEAD}.tmp`, // not rdc's pattern
      `other.yaml.${DEAD}-lz1x-0-abc123.tmp`, // another file's
      `config.yaml.${DEAD}-lz1x-0-abc123.tmp.bak`,
      'notes.txt',
    ]
    for (const name of [...dead, ...kept]) await writeFile(join(dir, name), 'token: secret')
    await symlink('/etc/hostname', join(dir, `config.yaml.${DEAD}-lz1x-9-link.tmp`))
    await writeFile(`${path}.lock.break`, `${DEAD} gone`)
    await new ConfigStore(path).update((c) => {
      c.current = 'x'
      c.contexts.x = {ssh: {}, machines: {}, repositories: {}}
    })
    expect((await readdir(dir)).sort()).toEqual(['config.yaml', ...kept, `config.yaml.${DEAD}-lz1x-9-link.tmp`].sort())
  })

  it('knows its own temp names', () => {
    expect(tempOwner('config.yaml', 'config.yaml.123-a-b-c.tmp')).toBe(123)
    expect(tempOwner('config.yaml', 'config.yaml.lock.123-a-b-.tmp')).toBe(123)
    for (const other of ['config.yaml.tmp', 'config.yaml.0-a-b-c.tmp', 'config.yaml.12a-a-b-c.tmp', 'x.yaml.1-a-b-c.tmp', 'config.yaml.1-a-b-c.tmpx', 'config.yaml.1-A-b-c.tmp']) {
      expect(tempOwner('config.yaml', other), other).toBeUndefined()
    }
  })

  it('takes over at once a lock whose owner is gone, and after 2 s an empty one (a killed older rdc)', async () => {
    const lockPath = join(dir, 'config.yaml.lock')
    await writeFile(lockPath, `${DEAD} x`)
    const started = Date.now()
    await (await acquireLock(lockPath, 5000)).release()
    expect(Date.now() - started).toBeLessThan(500)
    await writeFile(lockPath, '')
    const old = new Date(Date.now() - 3000)
    await utimes(lockPath, old, old)
    await (await acquireLock(lockPath, 5000)).release()
    expect(await readdir(dir)).toEqual([])
  })
})

describe('ConfigStore: hostile and hand-edited files', () => {
  const machine = (extra = '') => ['      server-1:', '        host: 198.51.100.7', '        user: deploy', `        hostKey: ${KEY}`, extra].filter(Boolean)

  it('refuses an alias bomb as a config error (exit 3) with the first alias\'s line, quickly', async () => {
    const path = join(dir, 'config.yaml')
    const lines = ['version: 1', 'contexts: {}', 'x-bomb:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    let prev = 'a'
    for (const c of 'bcdefghi') {
      lines.push(`  ${c}: &${c} [${Array.from({length: 9}, () => `*${prev}`).join(',')}]`)
      prev = c
    }
    const text = `${lines.join('\n')}\n`
    await writeFile(path, text, {mode: 0o600})
    const started = Date.now()
    const err = await configError(() => new ConfigStore(path).read())
    expect(Date.now() - started).toBeLessThan(2000)
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain('expands YAML aliases more than 100 times')
    expect(err.message).toContain('first alias on line 5')
    await configError(() => new ConfigStore(path).update(() => {}))
    expect(await readFile(path, 'utf8')).toBe(text)
  })

  const cases: Array<{what: string; lines: string[]; key: string; line: number; message: RegExp; suggestion?: RegExp}> = [
    {
      what: 'a network id off the 2816 + 64n grid',
      lines: [...machine(), '    repositories:', '      app: {machine: server-1, networkId: 12345}'],
      key: 'contexts.prod.repositories.app.networkId',
      line: 11,
      message: /12345 is not a network id; ids are 2816 \+ 64·n/,
    },
    {
      what: 'two repositories with one network id on one machine',
      lines: [...machine(), '    repositories:', '      app: {machine: server-1, networkId: 2880}', '      web:', '        machine: server-1', '        networkId: 2880'],
      key: 'contexts.prod.repositories.web.networkId',
      line: 14,
      message: /2880 is also the network id of repository "app" on machine "server-1"/,
    },
    {
      what: 'a repository on an unknown machine',
      lines: [...machine(), '    repositories:', '      app:', '        machine: server-9', '        networkId: 2816'],
      key: 'contexts.prod.repositories.app.machine',
      line: 12,
      message: /"server-9" is not a machine of context "prod" \(machines: server-1\)/,
    },
    {
      what: 'a host with shell text',
      lines: ['      server-1:', '        host: "1.2.3.4; rm -rf /"', '        user: deploy'],
      key: 'contexts.prod.machines.server-1.host',
      line: 7,
      message: /"1\.2\.3\.4; rm -rf \/" contains spaces or control characters/,
    },
    {what: 'a host 127.1', lines: ['      server-1:', '        host: "127.1"', '        user: deploy'], key: 'contexts.prod.machines.server-1.host', line: 7, message: /not a valid IPv4 address/},
    {
      what: 'a hostKey that does not parse',
      lines: ['      server-1:', '        host: 198.51.100.7', '        user: deploy', '        hostKey: ssh-ed25519 AAAA-not-base64'],
      key: 'contexts.prod.machines.server-1.hostKey',
      line: 9,
      message: /not an OpenSSH public key/,
      suggestion: /Delete the hostKey line and pin the server's key again: rdc context scan-keys server-1/,
    },
    {what: 'a datastore with ..', lines: machine('        datastore: /mnt/../etc'), key: 'contexts.prod.machines.server-1.datastore', line: 10, message: /contains "\.\."/},
    {what: 'a user with shell text', lines: ['      server-1:', '        host: 198.51.100.7', '        user: "root; id"'], key: 'contexts.prod.machines.server-1.user', line: 8, message: /not a valid login name/},
    {
      what: 'an image size past 16T',
      lines: [...machine(), '    repositories:', '      app: {machine: server-1, networkId: 2816, size: 99999999999999T}'],
      key: 'contexts.prod.repositories.app.size',
      line: 11,
      message: /larger than 16T/,
    },
  ]

  for (const c of cases) {
    it(`refuses ${c.what} with the key path and line (exit 3), and a write leaves the file as it was`, async () => {
      const path = join(dir, 'config.yaml')
      const text = ['version: 1', 'current: prod', 'contexts:', '  prod:', '    machines:', ...c.lines, ''].join('\n')
      await writeFile(path, text, {mode: 0o600})
      const inode = (await stat(path)).ino
      const err = await configError(() => new ConfigStore(path).read())
      expect(err.exitCode).toBe(3)
      expect(err.message).toContain(`"${c.key}", line ${c.line}:`)
      expect(err.message).toMatch(c.message)
      expect(err.suggestion).toContain('the file was not changed')
      if (c.suggestion) expect(err.suggestion).toMatch(c.suggestion)
      await configError(() => new ConfigStore(path).update((cfg) => {
        cfg.contexts.prod.machines['server-1'].infra.baseDomain = 'example.com'
      }))
      expect(await readFile(path, 'utf8')).toBe(text)
      expect((await stat(path)).ino).toBe(inode)
      expect(await readdir(dir)).toEqual(['config.yaml'])
    })
  }
})
