import {mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError} from '../../errors.js'
import {renderRouterConfig} from '../../infra/render/router-config.js'
import {TRAEFIK_CONFIG_PATH} from '../../layout/server.js'
import {renderTraefikYaml, routableEntryPointNames} from '../../infra/render/traefik.js'
import {loadSettings} from './config.js'
import {RouterService} from './service.js'
import {readTraefikEntryPoints} from './traefik-file.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-router-traefik-file-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const INFRA = {publicIPv4: '203.0.113.50', publicIPv6: '2001:db8::1'}

/** Written as push-infra writes files: a temporary file renamed over the old one. */
function writeTraefik(text: string): string {
  const path = join(dir, 'traefik.yml')
  writeFileSync(`${path}.tmp`, text)
  renameSync(`${path}.tmp`, path)
  return path
}

describe('traefik.yml entry points', () => {
  it("reads the names push-infra renders, without Traefik's internal one", () => {
    const input = {...INFRA, tcpPorts: [25], udpPorts: [5353]}
    const path = writeTraefik(renderTraefikYaml(input))
    const names = readTraefikEntryPoints(path)
    expect(names).toEqual(routableEntryPointNames(input))
    expect(names).toContain('tcp-25-v6')
    expect(names).not.toContain('traefik')
  })

  it('names the file and the problem when it cannot be used', () => {
    expect(() => readTraefikEntryPoints(join(dir, 'missing.yml'))).toThrow(ConfigError)
    expect(() => readTraefikEntryPoints(writeTraefik('entryPoints: [\n'))).toThrow(/not valid YAML/)
    expect(() => readTraefikEntryPoints(writeTraefik('log: {level: INFO}\n'))).toThrow(/has no entryPoints/)
  })

  it('reads the router.yaml push-infra renders: traefik.yml is the source of the names', async () => {
    const config = join(dir, 'router.yaml')
    writeFileSync(config, renderRouterConfig({machineName: 'server-1', baseDomain: 'example.com', ...INFRA}))
    expect(await loadSettings({config})).toMatchObject({entrypointsSource: 'traefik.yml', traefikConfig: TRAEFIK_CONFIG_PATH, dynamicPorts: {tcp: {from: 10_000, to: 10_010}}})
  })

  it('router.yaml traefikConfig makes traefik.yml the source; --entrypoints still wins', async () => {
    const config = join(dir, 'router.yaml')
    writeFileSync(config, `version: 1\ntraefikConfig: ${join(dir, 'traefik.yml')}\nentrypoints: [web]\n`)
    expect(await loadSettings({config})).toMatchObject({entrypointsSource: 'traefik.yml', traefikConfig: join(dir, 'traefik.yml'), entrypoints: []})
    expect(await loadSettings({config, entrypoints: 'web,tcp-5432'})).toMatchObject({entrypointsSource: 'flag', entrypoints: ['web', 'tcp-5432']})
  })
})

describe('the route server follows traefik.yml', () => {
  it('reads it at start, takes a change without a restart, and keeps the last good names when it breaks', async () => {
    const path = writeTraefik(renderTraefikYaml(INFRA))
    const config = join(dir, 'router.yaml')
    const sockets = join(dir, 'sock')
    mkdirSync(sockets)
    writeFileSync(config, `version: 1\nbaseDomain: example.com\nsocketDir: ${sockets}\nstateDir: ${join(dir, 'state')}\ntraefikConfig: ${path}\n`)
    const logs: string[] = []
    const service = new RouterService(await loadSettings({config}), (event) => logs.push(event))
    service.start()
    try {
      service.rebuild()
      expect(service.traefikBody()).toBe('{}\n')
      expect(service.health().entrypoints).toMatchObject({source: 'traefik.yml', file: path, error: null, names: routableEntryPointNames(INFRA)})
      expect(service.health().entrypoints.names).not.toContain('tcp-2525')

      writeTraefik(renderTraefikYaml({...INFRA, tcpPorts: [2525]}))
      service.rebuild()
      expect(service.health().entrypoints.names).toEqual(expect.arrayContaining(['tcp-2525', 'tcp-2525-v6']))
      expect(logs).toContain('entry points changed')

      writeTraefik('entryPoints: [\n')
      service.rebuild()
      const h = service.health()
      expect(h.entrypoints.error).toMatch(/not valid YAML/)
      expect(h.entrypoints.names).toContain('tcp-2525')
      expect(h.status).toBe('degraded')
      expect(service.traefikBody()).toBe('{}\n')

      rmSync(path)
      service.rebuild()
      expect(service.health().entrypoints.error).toMatch(/cannot be read/)
      expect(service.health().entrypoints.names).toContain('tcp-2525')
    } finally {
      service.stop()
    }
  })

  it('serves nothing (503) until the file was read once', async () => {
    const config = join(dir, 'router.yaml')
    const sockets = join(dir, 'sock')
    mkdirSync(sockets)
    writeFileSync(config, `version: 1\nsocketDir: ${sockets}\nstateDir: ${join(dir, 'state')}\ntraefikConfig: ${join(dir, 'traefik.yml')}\n`)
    const service = new RouterService(await loadSettings({config}), () => {})
    service.start()
    try {
      service.rebuild()
      expect(service.traefikBody()).toBeNull()
      expect(service.health()).toMatchObject({status: 'starting', entrypoints: {error: expect.stringMatching(/cannot be read/), names: []}})
      writeTraefik(renderTraefikYaml(INFRA))
      service.rebuild()
      expect(service.traefikBody()).toBe('{}\n')
      expect(service.health().entrypoints.error).toBeNull()
    } finally {
      service.stop()
    }
  })
})
