import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {Repository} from '../compose/repository.js'
import type {Step} from './discover.js'
import {runRediaccfiles} from './runner.js'

// Each Rediaccfile appends "<folder> <step>" to $REPOSITORY_PATH/log, so the tests see what ran and in which order.
function rediaccfile(folder: string, body: Partial<Record<Step, string>>): string {
  const fns = Object.entries(body).map(([step, code]) => `${step}() {\n  echo "${folder} ${step}" >> "$REPOSITORY_PATH/log"\n  ${code}\n}\n`)
  return `#!/bin/bash\n${fns.join('\n')}`
}

describe('runRediaccfiles', () => {
  let root: string
  let repo: Repository
  let out: string
  let err: string
  let fakeRenet: string

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-rediaccfile-'))
    repo = {path: root, name: 'demo', networkId: 2880, dockerHost: 'unix:///tmp/none.sock'}
    out = ''
    err = ''
    fakeRenet = join(root, '..', `${root.split('/').pop()}-renet.cjs`)
    writeFileSync(fakeRenet, 'process.stdout.write(`renet called with ${process.argv.slice(2).join(" ")}\\n`)\n')
  })
  afterEach(() => {
    rmSync(root, {recursive: true, force: true})
    rmSync(fakeRenet, {force: true})
  })

  const run = (action: Step, signal?: AbortSignal) =>
    runRediaccfiles({
      repo,
      action,
      renet: {node: process.execPath, script: fakeRenet},
      env: {PATH: process.env.PATH, HOME: process.env.HOME},
      stdout: (text) => (out += text),
      stderr: (text) => (err += text),
      signal,
    })
  const log = () => (existsSync(join(root, 'log')) ? readFileSync(join(root, 'log'), 'utf8').trim().split('\n') : [])
  const write = (folder: string, text: string) => {
    if (folder !== '.') mkdirSync(join(root, folder), {recursive: true})
    writeFileSync(join(root, folder, 'Rediaccfile'), text)
  }

  it('runs up A→Z from the root and first-level folders with the repository environment', async () => {
    write('.', rediaccfile('.', {up: 'echo "root sees $WEBAPP_IP $API_IP $REPOSITORY_NAME $REPOSITORY_NETWORK_ID $DOCKER_HOST"; renet compose -- up -d'}))
    write('b', rediaccfile('b', {up: 'echo "b in $(basename "$PWD")"; echo oops >&2'}))
    write('a', rediaccfile('a', {up: 'printf "no newline"'}))
    write('.hidden', rediaccfile('.hidden', {up: 'true'}))
    mkdirSync(join(root, 'a', 'deeper'))
    symlinkSync(join(root, 'missing'), join(root, 'dangling'))
    writeFileSync(join(root, 'a', 'deeper', 'Rediaccfile'), rediaccfile('deeper', {up: 'true'}))
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  webapp: {image: b}\n')
    writeFileSync(join(root, 'b', 'compose.yaml'), 'services:\n  api: {image: b}\n')

    const summary = await run('up')
    expect(log()).toEqual(['. up', 'a up', 'b up'])
    expect(out.split('\n')).toEqual([
      '[.] root sees 127.0.11.67 127.0.11.66 demo 2880 unix:///tmp/none.sock',
      '[.] renet called with compose -- up -d',
      '[a] no newline',
      '[b] b in b',
      '',
    ])
    expect(err).toContain('[b] oops\n')
    expect(summary).toMatchObject({
      action: 'up',
      ok: true,
      repository: {name: 'demo', path: root, networkId: 2880},
      services: {api: {slot: 0, ip: '127.0.11.66'}, webapp: {slot: 1, ip: '127.0.11.67'}},
      failed: [],
    })
    expect(summary.steps.map((s) => [s.folder, s.status, s.exitCode])).toEqual([
      ['.', 'ok', 0],
      ['a', 'ok', 0],
      ['b', 'ok', 0],
    ])
    expect(JSON.parse(readFileSync(join(root, '.rediacc.json'), 'utf8'))).toEqual({services: {api: {slot: 0}, webapp: {slot: 1}}})
  })

  it('gives prep the IPs before renet compose has ever run, and stops at the first failing prep', async () => {
    write('.', rediaccfile('.', {prep: 'echo "db at $DB_IP"', up: 'true'}))
    write('a', rediaccfile('a', {prep: 'echo failing; exit 3', up: 'true'}))
    write('b', rediaccfile('b', {prep: 'true', up: 'true'}))
    writeFileSync(join(root, 'a', 'docker-compose.yml'), 'services:\n  db: {image: b}\n')
    const summary = await run('prep')
    expect(log()).toEqual(['. prep', 'a prep'])
    expect(out).toBe('[.] db at 127.0.11.66\n[a] failing\n')
    expect(summary.ok).toBe(false)
    expect(summary.failed).toEqual(['a'])
    expect(summary.steps.map((s) => [s.folder, s.status, s.exitCode])).toEqual([
      ['.', 'ok', 0],
      ['a', 'failed', 3],
      ['b', 'not-run', null],
    ])
    expect(err).toContain('renet rediaccfile: a: prep failed (exit code 3)')
  })

  it('says which folders are still up when a later up fails', async () => {
    write('.', rediaccfile('.', {up: 'true'}))
    write('a', rediaccfile('a', {up: 'exit 9'}))
    write('b', rediaccfile('b', {up: 'true'}))
    const summary = await run('up')
    expect(summary.steps.map((s) => [s.folder, s.status])).toEqual([
      ['.', 'ok'],
      ['a', 'failed'],
      ['b', 'not-run'],
    ])
    expect(err).toContain('renet rediaccfile: a: up failed (exit code 9)\nrenet rediaccfile: still running from earlier folders: . (down stops them)\n')
  })

  it('fails a step at the first failing command inside the function', async () => {
    write('.', rediaccfile('.', {up: 'false\n  echo "not reached"'}))
    const summary = await run('up')
    expect(out).toBe('')
    expect(summary.steps[0]).toMatchObject({status: 'failed', exitCode: 1})
  })

  it('skips folders without the step, noting it', async () => {
    write('.', rediaccfile('.', {up: 'true'}))
    const summary = await run('prep')
    expect(summary.ok).toBe(true)
    expect(summary.steps).toEqual([{folder: '.', status: 'skipped', exitCode: null, durationMs: 0, note: 'no prep function'}])
    expect(err).toContain('renet rediaccfile: .: no prep function, skipped')
  })

  it('runs down Z→A and carries on past failures', async () => {
    write('.', rediaccfile('.', {up: 'true', down: 'true'}))
    write('a', rediaccfile('a', {up: 'true', down: 'true'}))
    write('b', rediaccfile('b', {up: 'true', down: 'exit 5'}))
    const summary = await run('down')
    expect(log()).toEqual(['b down', 'a down', '. down'])
    expect(summary.ok).toBe(false)
    expect(summary.failed).toEqual(['b'])
    expect(summary.steps.map((s) => s.status)).toEqual(['failed', 'ok', 'ok'])
  })

  it('refuses before anything runs when a Rediaccfile has no up function', async () => {
    write('.', rediaccfile('.', {prep: 'true', up: 'true'}))
    write('z', rediaccfile('z', {prep: 'true', down: 'true'}))
    const summary = await run('prep')
    expect(log()).toEqual([])
    expect(summary.ok).toBe(false)
    expect(summary.steps).toEqual([])
    expect(summary.error?.message).toBe(`no up function in ${join(root, 'z', 'Rediaccfile')}`)
    expect(summary.error?.suggestion).toMatch(/up\(\) \{ renet compose -- up -d; \}/)
  })

  it('refuses a Rediaccfile that is not valid bash, naming its line', async () => {
    write('.', rediaccfile('.', {up: 'true'}))
    write('a', 'up() {\n  if true; then\n}\n')
    const summary = await run('up')
    expect(log()).toEqual([])
    expect(summary.error?.message).toMatch(new RegExp(`^${join(root, 'a', 'Rediaccfile')} is not valid bash: .*line 3`))
  })

  it('refuses a bad compose file before prep, but still takes things down', async () => {
    write('.', rediaccfile('.', {up: 'true', down: 'true'}))
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  web: [\n')
    expect((await run('up')).error?.message).toMatch(/docker-compose.yml:\d+:\d+: the compose file does not parse/)
    expect(log()).toEqual([])
    const down = await run('down')
    expect(down.ok).toBe(true)
    expect(log()).toEqual(['. down'])
  })

  it('says when there is no Rediaccfile at all', async () => {
    expect((await run('up')).error?.message).toBe(`no Rediaccfile in ${root} or its first-level folders`)
  })

  it('stops a running step and the rest when aborted', async () => {
    write('.', rediaccfile('.', {up: 'sleep 30'}))
    write('a', rediaccfile('a', {up: 'true'}))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const started = Date.now()
    const summary = await run('up', controller.signal)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(summary.ok).toBe(false)
    expect(summary.steps.map((s) => s.status)).toEqual(['failed', 'not-run'])
    expect(summary.steps[0].note).toBe('ended by SIGTERM')
  })
})
