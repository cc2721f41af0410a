import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BootWait, enabledRepositoryDaemons} from './boot-wait.js'
import {loadSettings} from './config.js'
import {RouterService} from './service.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdc-boot-wait-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

function enable(systemd: string, unit: string, wants = 'multi-user.target.wants'): void {
  mkdirSync(join(systemd, wants), {recursive: true})
  symlinkSync('/etc/systemd/system/rediacc-docker@.service', join(systemd, wants, unit))
}

describe('enabledRepositoryDaemons', () => {
  it('reads the instances of rediacc-docker@ linked from any .wants folder, nothing else', () => {
    const systemd = join(dir, 'systemd')
    enable(systemd, 'rediacc-docker@2880.service')
    enable(systemd, 'rediacc-docker@2816.service')
    enable(systemd, 'rediacc-docker@2816.service', 'default.target.wants')
    enable(systemd, 'docker.service')
    enable(systemd, 'rediacc-docker@12.service')
    enable(systemd, 'rediacc-docker@2944.socket')
    writeFileSync(join(systemd, 'rediacc-docker@3008.service'), '')
    expect(enabledRepositoryDaemons(systemd)).toEqual([2816, 2880])
    expect(enabledRepositoryDaemons(join(dir, 'missing'))).toEqual([])
  })
})

describe('BootWait', () => {
  const expected = [{networkId: 2816, socket: '/s/docker-2816.sock'}, {networkId: 2880, socket: '/s/docker-2880.sock'}]

  it('waits for every expected daemon, saying which and why, then stays settled', () => {
    const wait = new BootWait(expected, 60_000)
    const known = new Map<string, boolean>([['/s/docker-2816.sock', false]])
    expect(wait.settled((s) => known.get(s))).toBe(false)
    expect(wait.status().waitingFor).toEqual([
      {networkId: 2816, socket: '/s/docker-2816.sock', state: 'not answered'},
      {networkId: 2880, socket: '/s/docker-2880.sock', state: 'no socket'},
    ])
    known.set('/s/docker-2816.sock', true).set('/s/docker-2880.sock', true)
    expect(wait.settled((s) => known.get(s))).toBe(true)
    expect(wait.status()).toMatchObject({settled: true, settledBy: 'answered', waitingFor: []})
    known.clear()
    expect(wait.settled((s) => known.get(s))).toBe(true)
  })

  it('settles when the bound passes, and at once when nothing is expected', () => {
    const wait = new BootWait(expected, 1000)
    expect(wait.settled(() => undefined, Date.now() + 999)).toBe(false)
    expect(wait.settled(() => undefined, Date.now() + 1001)).toBe(true)
    expect(wait.status().settledBy).toBe('bound')
    expect(new BootWait([]).settled(() => undefined)).toBe(true)
  })

  it('counts /traefik answers, an empty 200 apart', () => {
    const wait = new BootWait([])
    for (const r of [null, null, 3, 0]) wait.noteAnswer(r)
    expect(wait.status().traefikAnswers).toEqual({unavailable: 2, ok: 1, empty: 1})
  })
})

/** A repository daemon that answers the two calls the route server makes: no containers, an idle event stream. */
function fakeDaemon(socket: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/events')) {
      res.writeHead(200, {'content-type': 'application/json'})
      res.flushHeaders()
      return
    }

    res.writeHead(200, {'content-type': 'application/json'})
    res.end('[]')
  })
  return new Promise((resolve) => server.listen(socket, () => resolve(server)))
}

describe('the route server after a boot', () => {
  async function service(boundMs: number): Promise<{service: RouterService; sockets: string}> {
    const sockets = join(dir, 'sock')
    const systemd = join(dir, 'systemd')
    mkdirSync(sockets)
    enable(systemd, 'rediacc-docker@2816.service')
    const config = join(dir, 'router.yaml')
    writeFileSync(config, `version: 1\nbaseDomain: example.com\nsocketDir: ${sockets}\nstateDir: ${join(dir, 'state')}\nentrypoints: [web, websecure]\n`)
    const s = new RouterService(await loadSettings({config}), () => {}, {systemdDir: systemd, boundMs})
    s.start()
    return {service: s, sockets}
  }

  it('answers 503 until the enabled daemon has answered, naming it in /health', async () => {
    const {service: s, sockets} = await service(60_000)
    let server: Server | undefined
    try {
      s.rebuild()
      expect(s.traefikBody()).toBeNull()
      expect(s.health()).toMatchObject({status: 'starting', boot: {expected: [2816], settled: false, waitingFor: [{networkId: 2816, state: 'no socket'}]}})
      server = await fakeDaemon(join(sockets, 'docker-2816.sock'))
      for (let i = 0; i < 200 && s.traefikBody() === null; i++) await sleep(20)
      expect(s.traefikBody()).toBe('{}\n')
      expect(s.health()).toMatchObject({boot: {settled: true, settledBy: 'answered', waitingFor: [], traefikAnswers: {unavailable: expect.any(Number), empty: expect.any(Number)}}})
      expect(s.health().boot.traefikAnswers.unavailable).toBeGreaterThan(0)
    } finally {
      s.stop()
      server?.close()
    }
  })

  it('serves what it knows once the bound has passed', async () => {
    const {service: s} = await service(300)
    try {
      s.rebuild()
      expect(s.traefikBody()).toBeNull()
      await sleep(400)
      expect(s.traefikBody()).toBe('{}\n')
      expect(s.health().boot).toMatchObject({settledBy: 'bound'})
    } finally {
      s.stop()
    }
  })
})
