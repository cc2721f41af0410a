import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {OVERRIDE_FILE} from './override.js'
import {prepareCompose} from './prepare.js'
import type {Repository} from './repository.js'
import {SLOT_FILE} from './slots.js'

describe('prepareCompose', () => {
  let root: string
  let repo: Repository
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-compose-prepare-'))
    repo = {path: root, name: 'app', networkId: 2816, dockerHost: 'unix:///run/d.sock'}
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('writes the override beside the compose file and exports every service of the repository', () => {
    writeFileSync(join(root, SLOT_FILE), JSON.stringify({services: {worker: {slot: 0}}}))
    mkdirSync(join(root, 'web'))
    writeFileSync(join(root, 'web', 'compose.yaml'), 'services:\n  webapp:\n    image: b\n    expose: ["3000"]\n  postgres:\n    image: b\n')
    const prepared = prepareCompose({repo, dir: join(root, 'web'), env: {}})
    expect(prepared.env).toEqual({
      WORKER_IP: '127.0.11.2',
      POSTGRES_IP: '127.0.11.3',
      WEBAPP_IP: '127.0.11.4',
      REPOSITORY_PATH: root,
      REPOSITORY_NAME: 'app',
      REPOSITORY_NETWORK_ID: '2816',
      DOCKER_HOST: 'unix:///run/d.sock',
    })
    expect(prepared.files).toEqual([join(root, 'web', 'compose.yaml'), join(root, 'web', OVERRIDE_FILE)])
    const override = parse(readFileSync(join(root, 'web', OVERRIDE_FILE), 'utf8'))
    expect(override.services.webapp.labels).toEqual({
      'rediacc.service_name': 'webapp',
      'rediacc.service_ip': '127.0.11.4',
      'rediacc.network_id': '2816',
      'rediacc.tcp_ports': '3000',
    })
    expect(Object.keys(override.services)).toEqual(['webapp', 'postgres'])
    expect(prepared.warnings).toEqual([])
  })

  it('uses a cleaned copy while the file has ports:, and removes the copy once they are gone', () => {
    const compose = join(root, 'docker-compose.yml')
    writeFileSync(compose, 'services:\n  api:\n    image: b\n    ports: ["8080:80"]\n')
    const first = prepareCompose({repo, dir: root, env: {}})
    const copy = join(root, '.rediacc-compose.docker-compose.yml')
    expect(first.files).toEqual([copy, join(root, OVERRIDE_FILE)])
    expect(first.warnings).toHaveLength(1)
    expect(parse(readFileSync(copy, 'utf8')).services.api).toEqual({image: 'b'})
    expect(parse(readFileSync(join(root, OVERRIDE_FILE), 'utf8')).services.api.labels['rediacc.tcp_ports']).toBe('80')

    writeFileSync(compose, 'services:\n  api:\n    image: b\n')
    const second = prepareCompose({repo, dir: root, env: {}})
    expect(second.files[0]).toBe(compose)
    expect(existsSync(copy)).toBe(false)
  })

  it('writes nothing when a service name cannot become a variable', () => {
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  ok:\n    image: b\n  2fast:\n    image: b\n')
    expect(() => prepareCompose({repo, dir: root, env: {}})).toThrow(/service name '2fast' cannot become an environment variable/)
    expect(readdirSync(root)).toEqual(['docker-compose.yml'])
  })

  it('writes nothing when the repository would pass 61 services', () => {
    const services = Array.from({length: 62}, (_, i) => `  s${i}:\n    image: b\n`).join('')
    writeFileSync(join(root, 'docker-compose.yml'), `services:\n${services}`)
    expect(() => prepareCompose({repo, dir: root, env: {}})).toThrow(/62 services; a repository has room for 61/)
    expect(readdirSync(root)).toEqual(['docker-compose.yml'])
  })

  it('writes nothing when the compose file does not parse', () => {
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  web:\n    image: [b\n')
    expect(() => prepareCompose({repo, dir: root, env: {}})).toThrow(/docker-compose.yml:\d+:\d+: the compose file does not parse/)
    expect(readdirSync(root)).toEqual(['docker-compose.yml'])
  })
})
