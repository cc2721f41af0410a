import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse, parseDocument} from 'yaml'

import {UsageError} from '../errors.js'
import {parseComposeFile} from '../renet/compose/compose-file.js'
import {OVERRIDE_FILE} from '../renet/compose/override.js'
import {prepareCompose} from '../renet/compose/prepare.js'
import {checkRepositoryFolder} from './check-local.js'
import {protectedPathsFromCompose} from './compose-mounts.js'
import {readComposeSources} from './sync.js'

/**
 * Shaped like sentry self-hosted (57 services, 142 aliases): an anchor of defaults that holds an anchor of 14
 * depends_on entries, each itself an alias, merged into a "feature complete" anchor and into most services.
 */
function manyAliases(): string {
  const dependsOn = (names: string[]) => names.flatMap((name, i) => [`    ${name}:`, `      <<: *depends_on-${i % 3 === 0 ? 'healthy' : 'default'}`])
  const lines = [
    'x-restart-policy: &restart_policy',
    '  restart: unless-stopped',
    'x-depends_on-healthy: &depends_on-healthy',
    '  condition: service_healthy',
    'x-depends_on-default: &depends_on-default',
    '  condition: service_started',
    'x-healthcheck-defaults: &healthcheck_defaults',
    '  interval: 10s',
    '  retries: 3',
    'x-sentry-defaults: &sentry_defaults',
    '  <<: *restart_policy',
    '  image: sentry',
    '  depends_on: &sentry_depends_on',
    ...dependsOn(Array.from({length: 14}, (_, i) => `base-${i}`)),
    '  environment:',
    '    DEFAULT_CA_BUNDLE: &ca_bundle /etc/ssl/certs/ca-certificates.crt',
    '    REQUESTS_CA_BUNDLE: *ca_bundle',
    'x-sentry-defaults-feature-complete: &sentry_defaults-feature-complete',
    '  <<: *sentry_defaults',
    '  depends_on:',
    '    <<: *sentry_depends_on',
    ...dependsOn(Array.from({length: 13}, (_, i) => `extra-${i}`)).map((line) => line.replace(/^ {4}/, '    ')),
    'x-snuba-defaults: &snuba_defaults',
    '  <<: *restart_policy',
    '  image: snuba',
    '  depends_on:',
    ...dependsOn(['clickhouse', 'kafka', 'redis']),
    'services:',
  ]
  let services = 0
  const add = (name: string, ...body: string[]) => {
    lines.push(`  ${name}:`, ...body.map((line) => `    ${line}`))
    services++
  }

  for (let i = 0; i < 14; i++) add(`base-${i}`, '<<: *restart_policy', 'image: b', 'healthcheck:', '  <<: *healthcheck_defaults', '  test: [CMD, "true"]')
  for (let i = 0; i < 13; i++) add(`extra-${i}`, '<<: *snuba_defaults', `command: consume ${i}`, ...(i < 6 ? ['healthcheck: *healthcheck_defaults'] : []))
  for (const name of ['clickhouse', 'kafka', 'redis']) add(name, '<<: *restart_policy', 'image: c', 'healthcheck: {<<: *healthcheck_defaults, test: [CMD, "true"]}')
  for (let i = 0; services < 57; i++) add(`sentry-${i}`, i % 3 !== 0 ? '<<: *sentry_defaults-feature-complete' : '<<: *sentry_defaults', `command: run ${i}`, 'healthcheck:', '  <<: *healthcheck_defaults', '  test: [CMD, "true"]')
  return `${lines.join('\n')}\n`
}

describe('a compose file with many aliases', () => {
  it('is read by renet compose and by the data-folder scan', async () => {
    const text = manyAliases()
    const file = parseComposeFile('/repo/docker-compose.yml', text)
    expect(text.match(/\*[\w-]+/g)?.length).toBe(142)
    expect(file.services.size).toBe(57)
    expect(file.services.get('sentry-1')?.restart).toBe('unless-stopped')
    expect(Object.keys(file.services.get('sentry-1')?.depends_on as object)).toHaveLength(27)
    expect(await protectedPathsFromCompose([{path: 'docker-compose.yml', text}])).toEqual([])
    // What crashed before: the limit of 1000 this file goes past.
    expect(() => parseDocument(text, {merge: true}).toJS({maxAliasCount: 1000})).toThrow(/Excessive alias count/)
  })

  it('still stops an alias bomb with a usage error, not a crash', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array.from({length: 10}, () => (i === 1 ? '*a' : `*l${i - 1}`)).join(', ')}]`)
    const text = `${levels.join('\n')}\nservices:\n  web: {image: x, command: *l8}\n`
    expect(() => parseComposeFile('/repo/docker-compose.yml', text)).toThrow(UsageError)
    expect(() => parseComposeFile('/repo/docker-compose.yml', text)).toThrow(/expands its \*aliases/)
  })
})

describe('.env beside the compose file', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-compose-local-'))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('resolves ${VAR} in bind-mount sources of the data-folder scan (immich: UPLOAD_LOCATION)', async () => {
    const compose = 'services:\n  server:\n    image: immich\n    volumes:\n      - ${UPLOAD_LOCATION}:/usr/src/app/upload\n  db:\n    image: pg\n    volumes:\n      - ${DB_DATA_LOCATION}:/var/lib/postgresql/data\n'
    mkdirSync(join(root, 'app'))
    writeFileSync(join(root, 'app', 'docker-compose.yml'), compose)
    writeFileSync(join(root, 'app', '.env'), 'UPLOAD_LOCATION=./library\nDB_DATA_LOCATION=./postgres\n')
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  x:\n    image: y\n    volumes: [./data:/data]\n')
    const sources = await readComposeSources(root)
    expect(sources.map((s) => s.path)).toEqual(['docker-compose.yml', 'app/docker-compose.yml'])
    expect(await protectedPathsFromCompose(sources)).toEqual(['app/library', 'app/postgres', 'data'])
    // The environment wins over .env, as in compose.
    expect(await protectedPathsFromCompose(sources, {env: {UPLOAD_LOCATION: './photos'}})).toEqual(['app/photos', 'app/postgres', 'data'])
  })

  it('without .env the unresolved variable is still refused as the whole repository', async () => {
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  server:\n    image: immich\n    volumes:\n      - ${UPLOAD_LOCATION}:/usr/src/app/upload\n')
    await expect(protectedPathsFromCompose(await readComposeSources(root))).rejects.toThrow(/whole repository/)
  })

  it('resolves ${VAR} in the ports renet compose labels', () => {
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  web:\n    image: x\n    expose: ["${WEB_PORT}"]\n')
    writeFileSync(join(root, '.env'), 'WEB_PORT=8080\n')
    const prepared = prepareCompose({repo: {path: root, name: 'r', networkId: 2816, dockerHost: 'unix:///var/run/rediacc/docker-2816.sock'}, dir: root, env: {}})
    expect(prepared.services[0].ports.tcp).toEqual([8080])
  })
})

describe('before connecting', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-compose-local-'))
    writeFileSync(join(root, 'Rediaccfile'), 'up() { renet compose -- up -d; }\n')
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('repo up names links and compose features the server does not support, with the fix', () => {
    writeFileSync(join(root, 'docker-compose.yml'), 'name: n8n\nservices:\n  n8n:\n    image: n8n\n    network_mode: host\n    links: [postgres]\n  postgres: {image: pg}\n')
    expect(() => checkRepositoryFolder(root, 'up')).toThrow(/top-level 'name' is not known to docker-compose 1\.29[^\n]*COMPOSE_PROJECT_NAME[^\n]*\n.*service 'n8n': links: .*\$\{<SERVICE>_IP\}/s)
  })
})

describe('a docker.sock mount', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-compose-local-'))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it("is pointed at the repository's own daemon socket, with a note", () => {
    writeFileSync(
      join(root, 'docker-compose.yml'),
      'services:\n  portainer:\n    image: portainer\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n      - ./data:/data\n  agent:\n    image: a\n    volumes:\n      - {type: bind, source: /run/docker.sock, target: /sock}\n  web: {image: w}\n',
    )
    const prepared = prepareCompose({repo: {path: root, name: 'r', networkId: 2880, dockerHost: 'unix:///var/run/rediacc/docker-2880.sock'}, dir: root, env: {}})
    const override = parse(readFileSync(join(root, OVERRIDE_FILE), 'utf8'))
    expect(override.services.portainer.volumes).toEqual(['/var/run/rediacc/docker-2880.sock:/var/run/docker.sock:ro'])
    expect(override.services.agent.volumes).toEqual(['/var/run/rediacc/docker-2880.sock:/sock'])
    expect(override.services.web.volumes).toBeUndefined()
    expect(prepared.warnings).toContain(
      "service 'portainer': /var/run/docker.sock:/var/run/docker.sock:ro mounted from this repository's own daemon (/var/run/rediacc/docker-2880.sock): it sees and manages only this repository's containers",
    )
  })
})
