/**
 * rdc repo create/up/down/status on a real test host (systemd, sshd, Docker), set up with the real CLI and
 * push-infra; the examples deploy into per-repository daemons and the route server's /routes.json is read on
 * the host.
 */
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestHosts, stopTestHosts} from '../testhost/index.js'
import {ensureBuilt, giveLoopDevices, importImageIntoRepoDaemon, type Lab, MACHINE, newLab, setUpMachine, type TestHost} from '../lab/index.js'
import {until} from '../support/wait.js'

let host: TestHost
let lab: Lab

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  await setUpMachine(lab, host)
}, 600_000)

afterAll(async () => {
  // Loop devices are the kernel's, not the host's: never leave one attached to an image of this test.
  await host?.exec('umount /mnt/rediacc/repos/imaged 2>/dev/null; for d in $(losetup -n -O NAME -j /mnt/rediacc/images/imaged.img); do losetup -d $d; done')
  await stopTestHosts()
  lab?.cleanup()
})

async function routes(networkId: number): Promise<any[]> {
  const r = await host.exec('curl -fsS http://127.0.0.1:7111/routes.json')
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout).routes as any[]).filter((x) => x.networkId === networkId)
}

/** The route server follows Docker events; give it a moment to see a change. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  let v = await read()
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300))
    v = await read()
  }

  return v
}

/** What the `slow` repository's up writes on the server: a "start <time>" and an "end <time>" line per run. */
async function slowRuns(): Promise<string[]> {
  return (await host.exec('cat /mnt/rediacc/repos/slow-runs 2>/dev/null')).stdout.trim().split('\n').filter(Boolean)
}

/** The `slow` repository's up waits for this file (bounded at 120 s): a barrier, never a timing guess. */
async function holdSlowUps(): Promise<void> {
  await host.exec('rm -f /mnt/rediacc/repos/slow-release')
}

async function releaseSlowUps(): Promise<void> {
  await host.exec('touch /mnt/rediacc/repos/slow-release')
}

async function slowUpStarted(): Promise<void> {
  await until(async () => (await slowRuns()).length > 0, 'the slow up to start on the server', {timeoutMs: 20_000, intervalMs: 100})
}

describe('rdc repo on a test host', () => {
  it('deploys the webapp example: services get their IPs and app.example.com routes to the webapp', async () => {
    const dir = lab.copyExample('webapp')
    const created = await lab.cli(['repo', 'create', 'webapp', '-m', MACHINE, '--path', dir, '--json'])
    expect(created.code).toBe(0)
    expect(created.json).toMatchObject({name: 'webapp', machine: MACHINE, networkId: 2816, network: '127.0.11.0/26', path: dir})
    await importImageIntoRepoDaemon(host, 2816)

    const up = await lab.cli(['repo', 'up', 'webapp', '-m', MACHINE, '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.ok).toBe(true)
    expect(up.json.services).toEqual({postgres: {slot: 0, ip: '127.0.11.2'}, webapp: {slot: 1, ip: '127.0.11.3'}})
    expect(up.json.steps.prep).toEqual([expect.objectContaining({folder: '.', status: 'ok', exitCode: 0})])
    expect(up.json.steps.up).toEqual([expect.objectContaining({folder: '.', status: 'ok', exitCode: 0})])
    expect(up.json.sync.filesSent).toBe(5)
    expect(up.json.sync.protected).toEqual(['data/postgres'])
    // Live output went to stderr (stdout is the JSON), every line prefixed with the machine name.
    expect(up.stderr).toMatch(/^m1 \| \[\.\] /m)

    const web = await host.exec('curl -fsS http://127.0.11.3:3000/')
    expect(web.stdout).toBe(readFileSync(join(dir, 'www/index.html'), 'utf8'))
    const served = await eventually(() => routes(2816), (r) => r.some((x) => x.rule === 'Host(`app.example.com`)'))
    const app = served.filter((x) => x.rule === 'Host(`app.example.com`)')
    expect(app).toEqual([expect.objectContaining({protocol: 'http', source: 'labels', backends: ['http://127.0.11.3:3000']})])
    // The database, as in the guide, has no Traefik labels and declares no port: no route at all, and the route
    // server says why in /health.
    expect(served.filter((x) => x.backends.some((b: string) => b.includes('127.0.11.2')))).toEqual([])
    const health = JSON.parse((await host.exec('curl -sS http://127.0.0.1:7111/health')).stdout)
    expect(health.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({networkId: 2816, container: expect.stringContaining('postgres'), reason: expect.stringMatching(/no port/)})]),
    )

    const status = await lab.cli(['repo', 'status', 'webapp', '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.json.daemon).toBe('active')
    expect(status.json.services.map((s: any) => [s.name, s.ip, s.containers.map((c: any) => c.state)])).toEqual([
      ['postgres', '127.0.11.2', ['running']],
      ['webapp', '127.0.11.3', ['running']],
    ])
    expect(status.json.services[1].routes).toEqual([expect.objectContaining({rule: 'Host(`app.example.com`)', backends: ['http://127.0.11.3:3000']})])
    expect(status.json.refusals).toEqual([])
  })

  it('an unchanged re-run sends no file content and converges', async () => {
    const again = await lab.cli(['repo', 'up', 'webapp', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.sync).toMatchObject({filesSent: 0, contentBytes: 0, streamBytes: 0, deleted: 0})
    expect(again.json.services.webapp.ip).toBe('127.0.11.3')
  })

  it('a file deleted locally is deleted on the server; the data folder the compose file mounts is left alone', async () => {
    const dir = join(lab.dir, 'src', 'webapp')
    writeFileSync(join(dir, 'www/old.html'), 'old page\n')
    expect((await lab.cli(['repo', 'up', 'webapp'])).code).toBe(0)
    expect((await host.exec('curl -fsS http://127.0.11.3:3000/old.html')).stdout).toBe('old page\n')
    await host.exec('echo 16 > /mnt/rediacc/repos/webapp/data/postgres/PG_VERSION')
    rmSync(join(dir, 'www/old.html'))
    const up = await lab.cli(['repo', 'up', 'webapp', '--json'])
    expect(up.json.sync).toMatchObject({filesSent: 0, deleted: 1, protected: ['data/postgres']})
    expect((await host.exec('test -e /mnt/rediacc/repos/webapp/www/old.html')).code).toBe(1)
    expect((await host.exec('cat /mnt/rediacc/repos/webapp/data/postgres/PG_VERSION')).stdout).toBe('16\n')
  })

  it('a second repository with the same service names gets other IPs, and both route', async () => {
    const dir = lab.copyExample('webapp', 'webapp2')
    const compose = join(dir, 'docker-compose.yml')
    writeFileSync(compose, readFileSync(compose, 'utf8').replaceAll('app.example.com', 'app2.example.com').replaceAll('routers.webapp', 'routers.webapp2').replaceAll('services.webapp.', 'services.webapp2.'))
    expect((await lab.cli(['repo', 'create', 'webapp2', '-m', MACHINE, '--path', dir])).code).toBe(0)
    await importImageIntoRepoDaemon(host, 2880)
    const up = await lab.cli(['repo', 'up', 'webapp2', '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.networkId).toBe(2880)
    expect(up.json.services).toEqual({postgres: {slot: 0, ip: '127.0.11.66'}, webapp: {slot: 1, ip: '127.0.11.67'}})
    const second = await eventually(() => routes(2880), (r) => r.some((x) => x.rule === 'Host(`app2.example.com`)'))
    expect(second.find((x) => x.rule === 'Host(`app2.example.com`)')?.backends).toEqual(['http://127.0.11.67:3000'])
    expect((await routes(2816)).find((x) => x.rule === 'Host(`app.example.com`)')?.backends).toEqual(['http://127.0.11.3:3000'])
  })

  it('status shows what the route server refused: another repository\'s hostname stays with its owner', async () => {
    const dir = lab.copyExample('webapp', 'taken')
    const created = await lab.cli(['repo', 'create', 'taken', '-m', MACHINE, '--path', dir, '--json'])
    const id = created.json.networkId as number
    await importImageIntoRepoDaemon(host, id)
    // repo up itself says so: the webapp container asked for a route and got none (exit 11, unrouted).
    const up = await lab.cli(['repo', 'up', 'taken'])
    expect(up.code, up.stdout + up.stderr).toBe(11)
    expect(up.stdout).toMatch(/taken_webapp_1 \(webapp\): refused \(foreign-hostname\): router webapp: app\.example\.com is already routed by repository 2816/)
    const status = await eventually(
      async () => (await lab.cli(['repo', 'status', 'taken', '--json'])).json,
      (s) => s.refusals.length > 0,
    )
    expect(status.refusals).toEqual([expect.objectContaining({container: 'taken_webapp_1', reason: expect.stringContaining('app.example.com')})])
    expect((await routes(2816)).find((x) => x.rule === 'Host(`app.example.com`)')?.backends).toEqual(['http://127.0.11.3:3000'])
    const human = await lab.cli(['repo', 'status', 'taken'])
    expect(human.stdout).toContain('Refused by the route server\n  taken_webapp_1: ')
    expect((await lab.cli(['repo', 'down', 'taken'])).code).toBe(0)
    const deleted = await lab.cli(['repo', 'delete', 'taken', '--purge', '--json'])
    expect(deleted.json.error?.message).toBeUndefined()
    expect(deleted.json).toEqual({repository: 'taken', machine: MACHINE, networkId: id, purged: true})
    expect((await host.exec(`test -e /mnt/rediacc/repos/taken || test -e /var/lib/rediacc/docker/${id}`)).code).toBe(1)
  })

  it('adding a service keeps the others\' slots and IPs', async () => {
    const dir = join(lab.dir, 'src', 'webapp2')
    const compose = join(dir, 'docker-compose.yml')
    // "cache" sorts before the others, so only a kept slot file keeps them where they are.
    writeFileSync(compose, readFileSync(compose, 'utf8').replace('services:\n', 'services:\n  cache:\n    image: rdc-test/busybox:local\n    network_mode: host\n    init: true\n    command: httpd -f -p ${CACHE_IP}:6379 -h /tmp\n'))
    const up = await lab.cli(['repo', 'up', 'webapp2', '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.services).toEqual({postgres: {slot: 0, ip: '127.0.11.66'}, webapp: {slot: 1, ip: '127.0.11.67'}, cache: {slot: 2, ip: '127.0.11.68'}})
    expect((await host.exec('curl -fsS -o /dev/null -w %{http_code} http://127.0.11.67:3000/')).stdout).toBe('200')
  })

  it('a failing prep stops before up; a failing up exits non-zero with its output', async () => {
    const dir = lab.copyExample('tcp-service', 'broken')
    writeFileSync(join(dir, 'Rediaccfile'), 'prep() {\n  echo "checking the schema"\n  exit 3\n}\nup() {\n  touch up-ran\n}\n')
    expect((await lab.cli(['repo', 'create', 'broken', '-m', MACHINE, '--path', dir])).code).toBe(0)
    const prep = await lab.cli(['repo', 'up', 'broken'])
    expect(prep.code).toBe(1)
    expect(prep.stdout).toContain('m1 | [.] checking the schema')
    expect(prep.stderr).toMatch(/prep failed in the root Rediaccfile on m1; up was not run/)
    expect((await host.exec('test -e /mnt/rediacc/repos/broken/up-ran')).code).toBe(1)

    writeFileSync(join(dir, 'Rediaccfile'), 'up() {\n  echo "starting the service"\n  echo "cannot bind 127.0.11.130:5432" >&2\n  false\n}\n')
    const up = await lab.cli(['repo', 'up', 'broken', '--json'])
    expect(up.code).toBe(1)
    expect(up.json).toMatchObject({ok: false, error: {kind: 'failure', exitCode: 1}})
    expect(up.json.error.message).toMatch(/up failed in the root Rediaccfile on m1 \(exit 1\)/)
    expect(up.json.steps.up).toEqual([expect.objectContaining({folder: '.', status: 'failed', exitCode: 1})])
    expect(up.stderr).toContain('m1 | [.] starting the service')
    expect(up.stderr).toContain('m1 | [.] cannot bind 127.0.11.130:5432')
  })

  it('down stops the containers and the daemon; up again brings them back', async () => {
    const down = await lab.cli(['repo', 'down', 'webapp', '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(down.json).toMatchObject({ok: true, daemon: 'stopped', steps: [expect.objectContaining({folder: '.', status: 'ok'})]})
    expect((await host.exec('systemctl is-active rediacc-docker@2816')).stdout.trim()).not.toBe('active')
    expect((await host.exec('curl -s -o /dev/null -w %{http_code} http://127.0.11.3:3000/')).stdout).toBe('000')
    const status = await lab.cli(['repo', 'status', 'webapp', '--json'])
    expect(status.json.services.flatMap((s: any) => s.containers)).toEqual([])

    const up = await lab.cli(['repo', 'up', 'webapp', '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.phases.map((p: any) => p.phase)).toContain('daemon')
    expect((await host.exec('curl -fsS -o /dev/null -w %{http_code} http://127.0.11.3:3000/')).stdout).toBe('200')
    const served = await eventually(() => routes(2816), (r) => r.some((x) => x.rule === 'Host(`app.example.com`)'))
    expect(served.find((x) => x.rule === 'Host(`app.example.com`)')?.backends).toEqual(['http://127.0.11.3:3000'])
  })

  it('one up at a time per repository: a second is refused naming the first, --lock-wait queues, a killed run leaves no lock', async () => {
    const dir = lab.copyExample('tcp-service', 'slow')
    // An up that holds until the test releases it, and leaves a trace of when it ran (no containers: the lock is
    // what is under test). Held by a file, not a sleep, so overlaps never depend on how loaded the machine is.
    writeFileSync(
      join(dir, 'Rediaccfile'),
      'up() {\n  echo "start $(date +%s.%N)" >> ../slow-runs\n  i=0; until [ -e ../slow-release ] || [ $i -ge 1200 ]; do sleep 0.1; i=$((i+1)); done\n  echo "end $(date +%s.%N)" >> ../slow-runs\n}\n',
    )
    await holdSlowUps()
    expect((await lab.cli(['repo', 'create', 'slow', '-m', MACHINE, '--path', dir])).code).toBe(0)

    const first = lab.spawn(['repo', 'up', 'slow'])
    await first.waitFor(/m1: up$/m)
    const refused = await lab.cli(['repo', 'up', 'slow', '--json'])
    expect(refused.code).toBe(8)
    expect(refused.json.error.message).toMatch(new RegExp(`Repository "slow" on m1 is busy: held by rdc repo up slow by \\S+@\\S+ \\(pid ${first.pid}\\) since \\d{4}-`))
    expect(refused.json.error.suggestion).toContain('--lock-wait')
    const downRefused = await lab.cli(['repo', 'down', 'slow'])
    expect(downRefused.code).toBe(8)
    const deleteRefused = await lab.cli(['repo', 'delete', 'slow'])
    expect(deleteRefused.code).toBe(8)
    expect(deleteRefused.stderr).toContain(`(pid ${first.pid})`)

    const queued = lab.spawn(['repo', 'up', 'slow', '--lock-wait', '60'])
    await queued.waitFor(/m1: waiting up to 60 s for held by rdc repo up slow by/)
    await releaseSlowUps()
    expect(await queued.exit).toBe(0)
    expect(await first.exit).toBe(0)
    // The two ups ran one after the other on the server.
    const [s1, e1, s2, e2] = (await slowRuns()).map((l) => Number(l.split(' ')[1]))
    expect(s1! < e1! && e1! <= s2! && s2! < e2!).toBe(true)

    // A killed rdc does not stop its up on the server; the lock stays until that up has ended, then goes by itself.
    await host.exec('rm -f /mnt/rediacc/repos/slow-runs')
    await holdSlowUps()
    const killed = lab.spawn(['repo', 'up', 'slow'])
    await killed.waitFor(/m1: up$/m)
    // Killed once its up runs on the server.
    await slowUpStarted()
    killed.child.kill('SIGKILL')
    await killed.exit
    const after = lab.spawn(['repo', 'up', 'slow', '--lock-wait', '60'])
    const waiting = await after.waitFor(/m1: waiting up to 60 s for/)
    expect(waiting).toContain(`(pid ${killed.pid})`)
    await releaseSlowUps()
    expect(await after.exit).toBe(0)
    const [ks, ke, as] = (await slowRuns()).map((l) => Number(l.split(' ')[1]))
    expect(ks! < ke! && ke! <= as!).toBe(true)
    // Only the lock files stay (flock needs no cleaning); no holder or pid list outlives its run.
    const left = (await host.exec('ls /var/run/rediacc/locks/')).stdout.trim().split('\n')
    expect(left.length).toBeGreaterThan(0)
    expect(left.filter((f) => !/^repo-\d+\.lock$/.test(f))).toEqual([])
    expect((await lab.cli(['repo', 'up', 'slow'])).code).toBe(0)
  })

  it('Ctrl-C stops the step running on the server too, exits 130, and leaves the repository free', async () => {
    await host.exec('rm -f /mnt/rediacc/repos/slow-runs')
    await holdSlowUps()
    const run = lab.spawn(['repo', 'up', 'slow'])
    await run.waitFor(/m1: up$/m)
    await slowUpStarted()
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(130)
    const stderr = await run.waitFor(/interrupted/)
    expect(stderr).toContain('m1: interrupted: stopping what runs on the server')
    // oclif wraps the error at the terminal's width: join its lines back before reading it.
    expect(stderr.replace(/\s*\n ›\s*/g, ' ')).toMatch(/repo up of slow on m1 was interrupted during up; no further step ran\./)
    // The step was stopped while it waited: releasing it now writes no end line, and no process of it is left.
    await releaseSlowUps()
    await new Promise((r) => setTimeout(r, 500))
    expect((await slowRuns()).map((l) => l.split(' ')[0])).toEqual(['start'])
    expect((await host.exec('pgrep -f "[r]ediaccfile up --path /mnt/rediacc/repos/slow"')).code).toBe(1)
    expect((await lab.cli(['repo', 'up', 'slow'])).code).toBe(0)
  })

  it('delete is refused while the repository runs', async () => {
    const r = await lab.cli(['repo', 'delete', 'webapp'])
    expect(r.code).toBe(8)
    expect(r.stderr).toMatch(/Repository "webapp" has 2 running containers on m1/)
    expect((await lab.cli(['repo', 'list', '--json'])).json.map((x: any) => x.name)).toContain('webapp')
  })

  it('a daemon that will not start is an error with its journal tail, and nothing runs', async () => {
    const dir = lab.copyExample('tcp-service', 'nodaemon')
    const created = await lab.cli(['repo', 'create', 'nodaemon', '-m', MACHINE, '--path', dir, '--json'])
    const id = created.json.networkId as number
    // A file where the daemon's data folder belongs: dockerd refuses to start.
    await host.exec(`mkdir -p /var/lib/rediacc/docker && echo x > /var/lib/rediacc/docker/${id}`)
    try {
      const r = await lab.cli(['repo', 'up', 'nodaemon', '--json'])
      expect(r.code).toBe(7)
      expect(r.json.error.message).toContain(`The repository's Docker daemon rediacc-docker@${id}.service did not start on m1`)
      expect(r.json.error.message).toMatch(/Last lines of its journal:\n {2}\S/)
      expect(r.json.error.suggestion).toContain(`journalctl -u rediacc-docker@${id}.service`)
      expect((await host.exec(`test -e /mnt/rediacc/repos/nodaemon/.rediacc.json`)).code).toBe(1)
    } finally {
      await host.exec(`systemctl stop rediacc-docker@${id}; systemctl reset-failed rediacc-docker@${id}; rm -f /var/lib/rediacc/docker/${id}`)
    }
  })

  it('a machine without renet is told to run push-infra', async () => {
    await host.exec('mv /usr/bin/renet /usr/bin/renet.away')
    try {
      const r = await lab.cli(['repo', 'up', 'webapp', '--json'])
      expect(r.code).toBe(7)
      expect(r.json.error.message).toBe('m1 has no renet (/usr/bin/renet): the machine is not set up for repositories yet.')
      expect(r.json.error.suggestion).toBe('Set it up first: rdc context push-infra m1')
    } finally {
      await host.exec('mv /usr/bin/renet.away /usr/bin/renet')
    }
  })

  it('--mount deploys an image-backed repository on a loop device; down --unmount detaches it', async () => {
    expect(await giveLoopDevices(host)).toBe(true)
    const dir = lab.copyExample('tcp-service', 'imaged')
    const created = await lab.cli(['repo', 'create', 'imaged', '-m', MACHINE, '--path', dir, '--size', '64M', '--json'])
    expect(created.json.size).toBe('64M')
    const id = created.json.networkId as number
    await importImageIntoRepoDaemon(host, id)

    const refused = await lab.cli(['repo', 'up', 'imaged'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('is image-backed and its image is not mounted')

    const up = await lab.cli(['repo', 'up', 'imaged', '--mount', '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.mounted).toBe(true)
    const mount = await host.exec('findmnt -n -o SOURCE,FSTYPE /mnt/rediacc/repos/imaged')
    expect(mount.stdout.trim()).toMatch(/^\/dev\/loop\d+\s+ext4$/)
    expect((await host.exec('test -f /mnt/rediacc/repos/imaged/Rediaccfile && test -f /mnt/rediacc/images/imaged.img')).code).toBe(0)
    const ip = up.json.services['tcp-echo'].ip as string
    expect((await host.exec(`curl -fsS -o /dev/null -w %{http_code} http://${ip}:5432/`)).stdout).toBe('200')

    const down = await lab.cli(['repo', 'down', 'imaged', '--unmount', '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(down.json.unmounted).toBe(true)
    const dev = mount.stdout.trim().split(/\s+/)[0]
    expect((await host.exec('mountpoint -q /mnt/rediacc/repos/imaged')).code).not.toBe(0)
    expect((await host.exec(`losetup ${dev}`)).code).not.toBe(0)

    // Up again mounts the same image (no reformat): the files are there and nothing is re-sent.
    const again = await lab.cli(['repo', 'up', 'imaged', '--mount', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.sync.filesSent).toBe(0)
    expect(again.json.phases.map((p: any) => p.phase)).not.toContain('image')
    expect((await lab.cli(['repo', 'down', 'imaged', '--unmount'])).code).toBe(0)
  })
})
