import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {type AddressInfo, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {connectLocalSshd, type LocalSshd, startLocalSshd} from '../../test/support/local-sshd.js'
import {shellQuote} from './step.js'
import {shellCommand, SshTransport} from './transport.js'

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('systemctl')).toBe('systemctl')
    expect(shellQuote('/etc/rediacc/router.yaml')).toBe('/etc/rediacc/router.yaml')
    expect(shellQuote('')).toBe("''")
    expect(shellQuote('a b')).toBe("'a b'")
    expect(shellQuote("it's")).toBe("'it'\\''s'")
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'")
    expect(shellCommand(['sh', '-c', 'echo "$1"', 'sh', 'x y'])).toBe(`sh -c 'echo "$1"' sh 'x y'`)
  })
})

/** A port nobody listens on now (the kernel's pick), so two checkouts testing at once don't collide. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('SshTransport against a real sshd', () => {
  let sshd: LocalSshd
  let t: SshTransport
  // This run's own folder (sshd's keys and config, and the files the tests write), removed afterwards.
  let root: string
  let data: string

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rdc-push-transport-'))
    data = join(root, 'data')
    sshd = await startLocalSshd({root: join(root, 'sshd'), port: await freePort()})
    mkdirSync(data, {recursive: true})
    t = new SshTransport(await connectLocalSshd(sshd), 'local-sshd')
  })

  afterAll(async () => {
    await t?.close()
    await sshd?.stop()
    if (root) rmSync(root, {recursive: true, force: true})
  })

  it('runs argv exactly, whatever characters the words hold', async () => {
    const words = ['a b', "it's", '$HOME', '`id`', 'x\ny', '*', '']
    const r = await t.exec(['printf', '%s|', ...words])
    expect(r).toEqual({code: 0, stdout: words.map((w) => `${w}|`).join(''), stderr: ''})
  })

  it('reports exit codes and stderr, and passes stdin', async () => {
    expect(await t.exec(['sh', '-c', 'echo oops >&2; exit 3'])).toEqual({code: 3, stdout: '', stderr: 'oops\n'})
    const r = await t.exec(['cat'], {stdin: 'from stdin\n'})
    expect(r.stdout).toBe('from stdin\n')
  })

  it('holdStdin keeps the command running on an open stdin until it settles', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let finished = false
    const run = t.exec(['sh', '-c', 'echo started; cat; echo ended'], {stdin: 'first\n', holdStdin: held, onStdout: () => undefined}).then((r) => {
      finished = true
      return r
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(finished).toBe(false)
    release()
    expect(await run).toEqual({code: 0, stdout: 'started\nfirst\nended\n', stderr: ''})
  })

  it('times out a command that hangs', async () => {
    await expect(t.exec(['sleep', '5'], {timeoutMs: 300})).rejects.toThrow(/did not finish within 300 ms/)
  })

  it('put writes atomically with the exact mode, replacing the file by rename', async () => {
    const path = join(data, 'config.env')
    writeFileSync(path, 'OLD=1\n', {mode: 0o644})
    const before = statSync(path).ino
    await t.put(path, 'CF_DNS_API_TOKEN=secret\n', {mode: 0o600})
    const st = statSync(path)
    expect(readFileSync(path, 'utf8')).toBe('CF_DNS_API_TOKEN=secret\n')
    expect(st.mode & 0o777).toBe(0o600)
    // A new inode: readers see the old file or the new one, never a half-written one.
    expect(st.ino).not.toBe(before)
    expect(readdirSync(data).filter((n) => n.includes('.rdc-'))).toEqual([])
  })

  it('put handles a large binary file and sets the owner', async () => {
    const path = join(data, 'renet.cjs')
    const big = Buffer.alloc(1_500_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251
    await t.put(path, big, {mode: 0o755, owner: '65534:65534'})
    expect(readFileSync(path).equals(big)).toBe(true)
    const st = statSync(path)
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o755, 65_534, 65_534])
  })

  it('a failed put leaves the previous file and no temp file', async () => {
    const path = join(data, 'keep.yml')
    writeFileSync(path, 'previous\n')
    await expect(t.put(path, 'next\n', {mode: 0o644, owner: 'no-such-user-rdc'})).rejects.toThrow(/Could not write/)
    expect(readFileSync(path, 'utf8')).toBe('previous\n')
    expect(readdirSync(data).filter((n) => n.includes('.rdc-'))).toEqual([])
  })

  it('get returns content, or null for a missing file', async () => {
    writeFileSync(join(data, 'a.txt'), 'hello')
    expect((await t.get(join(data, 'a.txt')))?.toString()).toBe('hello')
    expect(await t.get(join(data, 'missing.txt'))).toBeNull()
  })
})
