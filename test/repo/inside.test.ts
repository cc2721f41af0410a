/**
 * Looking inside a deployed repository on a real test host: `rdc repo logs` (one service, all, --follow ended by
 * Ctrl-C), `rdc repo exec` (exit code, stdin, a TTY between two terminals), `rdc context ssh` (the pinned key
 * only; the user's known_hosts untouched) and `rdc routes` (every route with the certificate the proxy serves).
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cliEnv, type CliResult, ensureBuilt, importImageIntoRepoDaemon, type Lab, MACHINE, newLab, setUpMachine, type TestHost} from '../lab/index.js'
import {until} from '../support/wait.js'
import {startTestHosts, stopTestHosts} from '../testhost/index.js'

let host: TestHost
let lab: Lab
let home: string

/** The lab's environment with a HOME of its own, so the test can see that nothing is written to ~/.ssh. */
function env(): NodeJS.ProcessEnv {
  return cliEnv({config: lab.config, env: {HOME: home}})
}

/** The built CLI on the lab's context file, with that HOME. */
function cli(args: string[], o: {input?: string} = {}): Promise<CliResult> {
  return lab.cli(args, {env: {HOME: home}, input: o.input})
}

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  home = mkdtempSync(join(tmpdir(), 'rdc-inside-home-'))
  await setUpMachine(lab, host)
  const dir = lab.copyExample('webapp')
  expect((await lab.cli(['repo', 'create', 'webapp', '-m', MACHINE, '--path', dir])).code).toBe(0)
  await importImageIntoRepoDaemon(host, 2816)
  const up = await lab.cli(['repo', 'up', 'webapp', '--json'])
  expect(up.code, up.stderr).toBe(0)
}, 900_000)

afterAll(async () => {
  await stopTestHosts()
  lab?.cleanup()
  if (home) rmSync(home, {recursive: true, force: true})
})

/** Writes a line into a container's log (its PID 1's stdout is what docker logs reads). */
async function logLine(service: string, text: string): Promise<void> {
  const r = await host.exec(['sh', '-c', `docker -H unix:///var/run/rediacc/docker-2816.sock ps -q --filter label=com.docker.compose.service=${service} | head -n1 | xargs -I{} docker -H unix:///var/run/rediacc/docker-2816.sock exec {} sh -c 'echo "$1" > /proc/1/fd/1' sh "${text}"`])
  expect(r.code, r.stderr).toBe(0)
}

describe('rdc repo logs', () => {
  it("shows one service's lines, or every container's prefixed by its service", async () => {
    await logLine('webapp', 'hello-from-webapp')
    await logLine('postgres', 'hello-from-postgres')
    const one = await cli(['repo', 'logs', 'webapp', 'webapp', '--tail', '20'])
    expect(one.code, one.stderr).toBe(0)
    expect(one.stdout).toContain('hello-from-webapp')
    expect(one.stdout).not.toContain('hello-from-postgres')

    const all = await cli(['repo', 'logs', 'webapp', '--json'])
    expect(all.code, all.stderr).toBe(0)
    expect(all.json.containers.map((c: any) => c.service).sort()).toEqual(['postgres', 'webapp'])
    // With --json the lines go to stderr, each with its service.
    expect(all.stderr).toMatch(/^webapp\s+\| hello-from-webapp$/m)
    expect(all.stderr).toMatch(/^postgres\s+\| hello-from-postgres$/m)

    const since = await cli(['repo', 'logs', 'webapp', 'webapp', '--since', '1s', '--tail', '0'])
    expect(since.code).toBe(0)
    expect(since.stdout).not.toContain('hello-from-webapp')
  })

  it('follows new lines until Ctrl-C, which ends the follow on the server too and exits 0', async () => {
    const {child, stdout, exit} = lab.spawn(['repo', 'logs', 'webapp', 'webapp', '-f', '--tail', '0'], {env: {HOME: home}})
    await until(async () => (await host.exec('pgrep -f "logs --[f]ollow"')).code === 0, 'docker logs --follow to run on the server', {timeoutMs: 20_000, intervalMs: 100})
    await logLine('webapp', 'followed-line-1')
    await until(async () => stdout().includes('followed-line-1'), 'the followed line to arrive', {timeoutMs: 15_000, intervalMs: 100})
    child.kill('SIGINT')
    expect(await exit).toBe(0)
    await until(async () => (await host.exec('pgrep -f "logs --[f]ollow"')).code !== 0, 'docker logs --follow to end on the server', {timeoutMs: 10_000, intervalMs: 100})
  })

  it('refuses an unknown service, naming the field and the services (exit 2)', async () => {
    const r = await cli(['repo', 'logs', 'webapp', 'nope', '--json'])
    expect(r.code).toBe(2)
    expect(r.json.error).toMatchObject({kind: 'usage', field: 'service'})
    expect(r.json.error.message).toContain('its services: postgres, webapp')
    expect(r.json.error.suggestion).toContain('rdc repo logs webapp postgres')
  })

  it('refuses a --since that is not a time before connecting (exit 2)', async () => {
    const r = await cli(['repo', 'logs', 'webapp', '--since', 'yesterday', '--json'])
    expect(r.code).toBe(2)
    expect(r.json.error.field).toBe('--since')
  })
})

describe('rdc repo exec', () => {
  it("runs in the service's container and passes its exit code through", async () => {
    const r = await cli(['repo', 'exec', 'webapp', 'webapp', '--', 'sh', '-c', 'echo "listen=$LISTEN_ADDR"; echo to-stderr >&2; exit 3'])
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('listen=127.0.11.3:3000')
    expect(r.stderr).toContain('to-stderr')

    const json = await cli(['repo', 'exec', 'webapp', 'postgres', '--json', '--', 'true'])
    expect(json.code).toBe(0)
    expect(json.json).toMatchObject({repository: 'webapp', service: 'postgres', exitCode: 0, tty: false})
  })

  it('streams stdin to the command', async () => {
    const r = await cli(['repo', 'exec', 'webapp', 'webapp', '--', 'sh', '-c', 'tr a-z A-Z'], {input: 'streamed through\n'})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('STREAMED THROUGH\n')
  })

  it('gives the command a terminal when both ends are terminals', async () => {
    // script(1) runs rdc on a pseudo-terminal: stdin and stdout are both terminals there.
    const cmd = [process.execPath, BIN, 'repo', 'exec', 'webapp', 'webapp', '--', 'sh', '-c', 'tty; exit 4'].map((w) => `'${w}'`).join(' ')
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: lab.dir, env: env(), encoding: 'utf8', input: '', timeout: 60_000})
    expect(r.status, r.stderr).toBe(4)
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/)

    const piped = await cli(['repo', 'exec', 'webapp', 'webapp', '--', 'sh', '-c', 'tty || true'])
    expect(piped.stdout).toContain('not a tty')
  })

  it('refuses an unknown service and an empty command (exit 2)', async () => {
    const unknown = await cli(['repo', 'exec', 'webapp', 'db', '--json', '--', 'true'])
    expect(unknown.code).toBe(2)
    expect(unknown.json.error).toMatchObject({kind: 'usage', field: 'service'})
    const empty = await cli(['repo', 'exec', 'webapp', 'webapp', '--json'])
    expect(empty.code).toBe(2)
    expect(empty.json.error.field).toBe('command')
  })
})

describe('rdc context ssh', () => {
  it("runs on the machine with the pinned key only, passes the exit code through, and leaves ~/.ssh alone", async () => {
    const r = await cli(['context', 'ssh', MACHINE, '--', 'sh', '-c', 'cat /etc/hostname; exit 5'])
    expect(r.code, r.stderr).toBe(5)
    expect(r.stdout.trim()).toBe(host.name)
    expect(existsSync(join(home, '.ssh', 'known_hosts'))).toBe(false)

    const json = await cli(['context', 'ssh', MACHINE, '--json', '--', 'echo', 'a b'])
    expect(json.code).toBe(0)
    expect(json.json).toMatchObject({machine: MACHINE, command: ['echo', 'a b'], exitCode: 0})
    expect(json.stderr).toContain('a b')
  })

  it('opens an interactive shell on a terminal', async () => {
    const cmd = [process.execPath, BIN, 'context', 'ssh', MACHINE].map((w) => `'${w}'`).join(' ')
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: lab.dir, env: env(), encoding: 'utf8', input: 'echo "shell-on-$(tty | cut -c1-8)"; exit 6\n', timeout: 60_000})
    expect(r.status, r.stdout + r.stderr).toBe(6)
    expect(r.stdout).toContain('shell-on-/dev/pts')
    expect(existsSync(join(home, '.ssh', 'known_hosts'))).toBe(false)
  })

  it('refuses a machine whose key is not the pinned one (exit 5) and runs nothing', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'rdc-inside-key-'))
    try {
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'k')])
      const other = readFileSync(join(keyDir, 'k.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')
      const config = readFileSync(lab.config, 'utf8')
      const forged = join(keyDir, 'config.yaml')
      writeFileSync(forged, config.replace(host.hostKey.split(' ').slice(0, 2).join(' '), other), {mode: 0o600})
      const r = await lab.cli(['context', 'ssh', MACHINE, '--json', '--', 'touch', '/tmp/ran'], {env: {HOME: home, RDC_CONFIG: forged}})
      expect(r.code).toBe(5)
      expect(JSON.parse(r.stdout).error.kind).toBe('hostKey')
      expect((await host.exec('test -e /tmp/ran')).code).not.toBe(0)
    } finally {
      rmSync(keyDir, {recursive: true, force: true})
    }
  })

  it('refuses an unknown machine (exit 4)', async () => {
    const r = await cli(['context', 'ssh', 'nope', '--json', '--', 'true'])
    expect(r.code).toBe(4)
    expect(r.json.error.kind).toBe('notFound')
  })
})

describe('rdc routes', () => {
  it('lists every route with its repository, container, tier and the certificate the proxy serves', async () => {
    const r = await cli(['routes', '-m', MACHINE, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const app = r.json.routes.find((x: any) => x.host === 'app.example.com')
    expect(app).toMatchObject({machine: MACHINE, protocol: 'http', repository: 'webapp', networkId: 2816, tier: 'labels', backends: ['http://127.0.11.3:3000']})
    expect(app.container).toMatch(/webapp/)
    // No ACME CA in this lab: Traefik serves its own default certificate, which is reported as none issued.
    expect(app.certificate).toMatchObject({status: 'default'})
    expect(r.json.machines).toEqual([{machine: MACHINE, routes: r.json.routes.length}])

    const human = await cli(['routes'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/HOST \/ ENTRY POINT\s+BACKEND\s+REPOSITORY\s+CONTAINER\s+TIER\s+CERTIFICATE/)
    expect(human.stdout).toMatch(/app\.example\.com\s+http:\/\/127\.0\.11\.3:3000\s+webapp/)
  })

  it('refuses an unknown machine (exit 4)', async () => {
    const r = await cli(['routes', '-m', 'nope', '--json'])
    expect(r.code).toBe(4)
    expect(r.json.error.kind).toBe('notFound')
  })
})
