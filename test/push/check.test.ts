/**
 * Drift and version on a real test host: `rdc context push-infra --check` changes nothing and exits 12 when a
 * machine differs from what a push would make (a hand-edited traefik.yml), 0 once a push fixed it; `rdc repo up`
 * brings an older renet on the server to the CLI's version and restarts only the route server, saying so.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ensureBuilt, importImageIntoRepoDaemon, type Lab, MACHINE, newLab, ROOT, setUpMachine, type TestHost} from '../lab/index.js'
import {startTestHosts, stopTestHosts} from '../testhost/index.js'

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}).version
const TRAEFIK_YML = '/opt/rediacc/proxy/traefik.yml'

let host: TestHost
let lab: Lab

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  await setUpMachine(lab, host)
}, 600_000)

afterAll(async () => {
  await stopTestHosts()
  lab?.cleanup()
})

async function sha(path: string): Promise<string> {
  return (await host.exec(['sha256sum', path])).stdout.split(' ')[0]!
}

/** What says a service was restarted: the router's main PID, the proxy container's start time. */
async function routerPid(): Promise<string> {
  return (await host.exec('systemctl show -p MainPID --value rediacc-router')).stdout.trim()
}

async function proxyStarted(): Promise<string> {
  return (await host.exec("docker inspect -f '{{.State.StartedAt}}' rediacc-proxy")).stdout.trim()
}

describe('rdc context push-infra --check', () => {
  it('exits 0 when the machine matches, 12 with the diff when traefik.yml was edited by hand, and changes nothing', async () => {
    const clean = await lab.cli(['context', 'push-infra', MACHINE, '--check', '--json'])
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.json).toMatchObject({check: true, ok: true, dryRun: true, differing: []})

    await host.exec(`printf '# edited by hand\\n' >> ${TRAEFIK_YML}`)
    const edited = await sha(TRAEFIK_YML)
    const pid = await routerPid()
    const started = await proxyStarted()

    const human = await lab.cli(['context', 'push-infra', MACHINE, '--check'])
    expect(human.code).toBe(12)
    expect(human.stdout).toContain(`~ ${TRAEFIK_YML}`)
    expect(human.stdout).toContain('-# edited by hand')
    expect(human.stderr).toContain(`${MACHINE} differs from what a push would make`)
    expect(human.stderr).toContain(`rdc context push-infra ${MACHINE}`)

    const json = await lab.cli(['context', 'push-infra', '--all', '--check', '--json'])
    expect(json.code).toBe(12)
    expect(json.json.differing).toEqual([MACHINE])
    expect(json.json.machines[0].files).toContainEqual(expect.objectContaining({path: TRAEFIK_YML, action: 'update'}))
    // Nothing changed on the server: the edit is still there, nothing restarted.
    expect(await sha(TRAEFIK_YML)).toBe(edited)
    expect(await routerPid()).toBe(pid)
    expect(await proxyStarted()).toBe(started)

    const push = await lab.cli(['context', 'push-infra', MACHINE])
    expect(push.code, push.stderr).toBe(0)
    const after = await lab.cli(['context', 'push-infra', MACHINE, '--check', '--json'])
    expect(after.code).toBe(0)
    expect(after.json.differing).toEqual([])
  })

  it('refuses --check with --dry-run and an unknown machine, changing nothing', async () => {
    const before = readFileSync(lab.config, 'utf8')
    const both = await lab.cli(['context', 'push-infra', MACHINE, '--check', '--dry-run', '--json'])
    expect(both.code).toBe(2)
    expect(both.json.error).toMatchObject({kind: 'usage', field: '--check'})
    const unknown = await lab.cli(['context', 'push-infra', 'nope', '--check', '--json'])
    expect(unknown.code).toBe(4)
    expect(unknown.json.error.kind).toBe('notFound')
    expect(readFileSync(lab.config, 'utf8')).toBe(before)
  })
})

describe('rdc repo up keeps renet at the CLI version', () => {
  it('updates an older renet and restarts only the route server, saying so; a second up leaves it alone', async () => {
    const dir = lab.copyExample('webapp')
    expect((await lab.cli(['repo', 'create', 'webapp', '-m', MACHINE, '--path', dir])).code).toBe(0)
    await importImageIntoRepoDaemon(host, 2816)
    // The server as an older rdc left it: renet 0.0.1 current, its route server running that program.
    const old = await host.exec(`set -e; cd /usr/lib/rediacc/renet; cp -a ${VERSION} 0.0.1; ln -sfn 0.0.1 current.new; mv -T current.new current; systemctl restart rediacc-router`)
    expect(old.code, old.stderr).toBe(0)
    const pid = await routerPid()
    const started = await proxyStarted()

    const up = await lab.cli(['repo', 'up', 'webapp'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toContain(`renet 0.0.1 differs from this CLI's ${VERSION}: updating it and restarting the route server only`)
    expect((await host.exec('readlink /usr/lib/rediacc/renet/current')).stdout.trim()).toBe(VERSION)
    expect(await routerPid()).not.toBe(pid)
    expect(await proxyStarted()).toBe(started)
    const health = await host.exec('curl -sS http://127.0.0.1:7111/health')
    expect(JSON.parse(health.stdout).version).toBe(VERSION)

    const pid2 = await routerPid()
    const again = await lab.cli(['repo', 'up', 'webapp', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.renet).toBeUndefined()
    expect(await routerPid()).toBe(pid2)
    // push-infra agrees: nothing differs.
    expect((await lab.cli(['context', 'push-infra', MACHINE, '--check'])).code).toBe(0)
  })

  it('reports the update in --json', async () => {
    await host.exec('set -e; cd /usr/lib/rediacc/renet; cp -a ' + VERSION + ' 0.0.2; ln -sfn 0.0.2 current.new; mv -T current.new current')
    const up = await lab.cli(['repo', 'up', 'webapp', '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.renet).toEqual({from: '0.0.2', to: VERSION, restarted: ['rediacc-router']})
  })
})
