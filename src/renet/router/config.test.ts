import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError, UsageError} from '../../errors.js'
import {httpsEntrypoints, loadSettings} from './config.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-router-config-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

function file(text: string): string {
  const path = join(dir, 'router.yaml')
  writeFileSync(path, text)
  return path
}

const CONTRACT = `version: 1
machine: server-1
baseDomain: example.com
listen: 127.0.0.1:7111
socketDir: /var/run/rediacc
stateDir: /var/lib/rediacc/router
certResolver: letsencrypt
entrypoints: [web, websecure, websecure-v6, tcp-3306, tcp-5432, tcp-10000, tcp-10010, udp-53]
dynamicPorts: {tcp: {from: 10000, to: 10010}}
`

describe('router settings', () => {
  it('reads the file push-infra renders', async () => {
    const s = await loadSettings({config: file(CONTRACT)})
    expect(s).toMatchObject({
      machine: 'server-1',
      baseDomain: 'example.com',
      listen: {host: '127.0.0.1', port: 7111},
      socketDir: '/var/run/rediacc',
      stateDir: '/var/lib/rediacc/router',
      certResolver: 'letsencrypt',
      entrypoints: ['web', 'websecure', 'websecure-v6', 'tcp-3306', 'tcp-5432', 'tcp-10000', 'tcp-10010', 'udp-53'],
      dynamicPorts: {tcp: {from: 10_000, to: 10_010}, udp: null},
    })
    expect(httpsEntrypoints(s)).toEqual(['websecure', 'websecure-v6'])
  })

  it('lets flags override the file', async () => {
    const s = await loadSettings({
      config: file(CONTRACT),
      socketDir: '/tmp/s',
      listen: '127.0.0.1:17111',
      stateDir: '/tmp/st',
      baseDomain: '',
      entrypoints: 'web, websecure-v6',
      machine: 'm2',
      resyncInterval: '5',
      portGrace: '2',
    })
    expect(s).toMatchObject({
      socketDir: '/tmp/s',
      listen: {host: '127.0.0.1', port: 17_111},
      stateDir: '/tmp/st',
      baseDomain: null,
      entrypoints: ['web', 'websecure-v6'],
      machine: 'm2',
      resyncMs: 5000,
      portGraceMs: 2000,
    })
    expect(httpsEntrypoints(s)).toEqual(['websecure-v6'])
  })

  it('refuses what it cannot use, naming the key', async () => {
    await expect(loadSettings({config: join(dir, 'missing.yaml')})).rejects.toThrow(UsageError)
    await expect(loadSettings({config: file(CONTRACT), listen: '0.0.0.0:7111'})).rejects.toThrow(/only listens on loopback/)
    await expect(loadSettings({config: file(CONTRACT), listen: 'nonsense'})).rejects.toThrow(/is not HOST:PORT/)
    await expect(loadSettings({config: file('version: 2\n')})).rejects.toThrow(/version 2 is not supported/)
    await expect(loadSettings({config: file('dynamicPorts: {tcp: {from: 10, to: 5}}\n')})).rejects.toThrow(ConfigError)
    await expect(loadSettings({config: file('entrypoints: web\n')})).rejects.toThrow(/entrypoints must be a list/)
    await expect(loadSettings({config: file('baseDomain: "not a domain"\n')})).rejects.toThrow(/not a domain name/)
    await expect(loadSettings({config: file('a: [\n')})).rejects.toThrow(ConfigError)
  })
})
