import {chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {Secret} from '../../config/secret.js'
import {UsageError} from '../../errors.js'
import {checkRenderedSet, writeRenderedSet} from './write-out.js'
import {renderMachineInfra} from '../render/render.js'

const OUT = '/tmp/rdc-push-out-test'

describe('--out writer', () => {
  afterAll(() => rmSync(OUT, {recursive: true, force: true}))

  it("writes every file in the server's layout with the server's modes, twice in a row", async () => {
    rmSync(OUT, {recursive: true, force: true})
    const set = renderMachineInfra({
      machineName: 'server-1',
      publicIPv4: '203.0.113.50',
      cfDnsApiToken: new Secret('tok-out'),
      renetBundle: Buffer.from('bundle'),
      renetVersion: '2.0.0',
    })
    await writeRenderedSet(OUT, set)
    const r = await writeRenderedSet(OUT, set)
    expect(r.files.map((f) => [f.path, f.mode])).toContainEqual(['/opt/rediacc/proxy/config.env', '0600'])
    expect(parse(readFileSync(join(OUT, 'opt/rediacc/proxy/traefik.yml'), 'utf8')).entryPoints.websecure.address).toBe('203.0.113.50:443')
    expect(readFileSync(join(OUT, 'etc/rediacc/router.yaml'), 'utf8')).toContain('machine: server-1\n')
    expect(statSync(join(OUT, 'opt/rediacc/proxy/config.env')).mode & 0o777).toBe(0o600)
    expect(statSync(join(OUT, 'usr/bin/renet')).mode & 0o777).toBe(0o755)
    expect(statSync(join(OUT, 'opt/rediacc/proxy/letsencrypt/acme.json')).mode & 0o777).toBe(0o600)
    expect(lstatSync(join(OUT, 'usr/lib/rediacc/renet/current')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(join(OUT, 'usr/lib/rediacc/renet/current'))).toBe('2.0.0')
    expect(readFileSync(join(OUT, 'usr/lib/rediacc/renet/current/renet.cjs'), 'utf8')).toBe('bundle')
    // The secret is in config.env and in no other written file.
    for (const f of r.files) {
      const has = readFileSync(join(OUT, f.path), 'utf8').includes('tok-out')
      expect([f.path, has]).toEqual([f.path, f.path === '/opt/rediacc/proxy/config.env'])
    }
  })
})

/** Every path under `root` (links not followed), with what it is. */
function tree(root: string): string[] {
  const out: string[] = []
  const walk = (at: string, rel: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name)
      const st = lstatSync(path)
      const shown = `${rel}${name}`
      if (st.isSymbolicLink()) out.push(`${shown} -> ${readlinkSync(path)}`)
      else if (st.isDirectory()) {
        out.push(`${shown}/`)
        walk(path, `${shown}/`)
      } else out.push(shown)
    }
  }
  walk(root, '')
  return out
}

describe('--out with links planted in DIR', () => {
  const BASE = mkdtempSync(join(tmpdir(), 'rdc-push-out-planted-'))
  const out = join(BASE, 'out')
  const victim = join(BASE, 'victim')
  const set = () =>
    renderMachineInfra({machineName: 'server-1', publicIPv4: '203.0.113.50', cfDnsApiToken: new Secret('tok-planted'), renetBundle: Buffer.from('bundle'), renetVersion: '2.0.0'})

  function fresh(): void {
    rmSync(BASE, {recursive: true, force: true})
    mkdirSync(out, {recursive: true})
    mkdirSync(victim)
    writeFileSync(join(victim, 'file'), 'precious')
    chmodSync(join(victim, 'file'), 0o600)
  }
  afterAll(() => rmSync(BASE, {recursive: true, force: true}))

  async function refused(plant: () => void, what: RegExp): Promise<void> {
    fresh()
    plant()
    const before = tree(out)
    let error: unknown
    try {
      await writeRenderedSet(out, set())
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UsageError)
    const err = error as UsageError
    expect(err.field).toBe('--out')
    expect(err.exitCode).toBe(2)
    expect(err.message).toMatch(what)
    expect(err.message).toContain('never follows a link')
    expect(err.suggestion).toContain('Nothing was written')
    // Nothing written: neither under DIR nor where a link points.
    expect(tree(out)).toEqual(before)
    expect(readdirSync(victim)).toEqual(['file'])
    expect(readFileSync(join(victim, 'file'), 'utf8')).toBe('precious')
    expect(statSync(join(victim, 'file')).mode & 0o777).toBe(0o600)
  }

  it('refuses a link where a file goes (config.env → a file elsewhere): the token never lands in its target', async () => {
    await refused(() => {
      mkdirSync(join(out, 'opt/rediacc/proxy'), {recursive: true})
      symlinkSync(join(victim, 'file'), join(out, 'opt/rediacc/proxy/config.env'))
    }, /opt\/rediacc\/proxy\/config\.env is a symbolic link/)
  })

  it('refuses a link where a folder goes (opt → a folder elsewhere), at any depth', async () => {
    await refused(() => symlinkSync(victim, join(out, 'opt')), /out\/opt is a symbolic link where rdc needs a folder/)
    await refused(() => {
      mkdirSync(join(out, 'usr/lib/rediacc'), {recursive: true})
      symlinkSync(victim, join(out, 'usr/lib/rediacc/renet'))
    }, /usr\/lib\/rediacc\/renet is a symbolic link where rdc needs a folder/)
  })

  it('refuses a link to a folder where renet\'s version folder goes, and a folder where its `current` link goes', async () => {
    await refused(() => {
      mkdirSync(join(out, 'usr/lib/rediacc/renet'), {recursive: true})
      symlinkSync(victim, join(out, 'usr/lib/rediacc/renet/2.0.0'))
    }, /renet\/2\.0\.0 is a symbolic link where rdc needs a folder/)
    await refused(() => mkdirSync(join(out, 'usr/lib/rediacc/renet/current'), {recursive: true}), /renet\/current is not the symbolic link rdc makes there/)
  })

  it('refuses when DIR is a file, and checks every set before any is written', async () => {
    fresh()
    writeFileSync(join(BASE, 'plain'), 'x')
    await expect(writeRenderedSet(join(BASE, 'plain'), set())).rejects.toThrow(/plain is not a folder/)
    symlinkSync(victim, join(out, 'm2'))
    await checkRenderedSet(join(out, 'm1'), set(), out)
    await expect(checkRenderedSet(join(out, 'm2'), set(), out)).rejects.toThrow(/out\/m2 is a symbolic link where rdc needs a folder/)
    expect(tree(out)).toEqual([`m2 -> ${victim}`])
  })

  it('never writes or chmods through a planted temp name (usr/bin/renet.rdc-out → a file elsewhere)', async () => {
    fresh()
    mkdirSync(join(out, 'usr/bin'), {recursive: true})
    symlinkSync(join(victim, 'file'), join(out, 'usr/bin/renet.rdc-out'))
    await writeRenderedSet(out, set())
    expect(readFileSync(join(victim, 'file'), 'utf8')).toBe('precious')
    expect(statSync(join(victim, 'file')).mode & 0o777).toBe(0o600)
    expect(statSync(join(out, 'usr/bin/renet')).mode & 0o777).toBe(0o755)
    expect(lstatSync(join(out, 'usr/bin/renet')).isFile()).toBe(true)
    // The planted link is left alone (rdc never made it), and no temp file of rdc's remains.
    expect(tree(out).filter((p) => p.includes('rdc-out'))).toEqual([`usr/bin/renet.rdc-out -> ${join(victim, 'file')}`])
  })

  it('replaces its own earlier output: files by rename (a hard link planted there keeps its content), the `current` link', async () => {
    fresh()
    await writeRenderedSet(out, set())
    const env = join(out, 'opt/rediacc/proxy/config.env')
    rmSync(env)
    linkSync(join(victim, 'file'), env)
    await writeRenderedSet(out, set())
    expect(readFileSync(join(victim, 'file'), 'utf8')).toBe('precious')
    expect(readFileSync(env, 'utf8')).toContain('tok-planted')
    expect(readlinkSync(join(out, 'usr/lib/rediacc/renet/current'))).toBe('2.0.0')
  })
})
