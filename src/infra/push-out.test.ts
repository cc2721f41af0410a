import {lstatSync, readFileSync, readlinkSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {Secret} from '../config/secret.js'
import {writeRenderedSet} from './push-out.js'
import {renderMachineInfra} from './render.js'

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
