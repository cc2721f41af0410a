/**
 * Issue 16's safe part on a real test host: repo up fails when a service dies right after `up -d` (naming it and
 * its last log lines), a docker.sock mount reaches the repository's own daemon, `.env` feeds the data-folder scan,
 * a database port gets no automatic HTTPS route (the reason in /health), and what the server would refuse is
 * refused before connecting.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestHosts, stopTestHosts} from '../testhost/index.js'
import {createRepo, type CreatedRepo, ensureBuilt, type Lab, MACHINE, newLab, setUpMachine, type TestHost, writeRepoFolder} from '../lab/index.js'

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

/** A repository folder with this compose file (and a Rediaccfile running renet compose), created on m1. */
const repo = (name: string, compose: string, files: Record<string, string> = {}): Promise<CreatedRepo> =>
  createRepo(lab, host, name, {'docker-compose.yml': compose, ...files})

async function health(): Promise<any> {
  return JSON.parse((await host.exec('curl -fsS http://127.0.0.1:7111/health')).stdout)
}

describe('compose files as users have them, on a test host', () => {
  it('a service that exits right after up -d fails repo up, naming it and its last log lines', async () => {
    await repo(
      'crash',
      `services:
  web:
    image: rdc-test/busybox:local
    network_mode: host
    init: true
    command: httpd -f -p \${WEB_IP}:8080 -h /
    expose: ["8080"]
  api:
    image: rdc-test/busybox:local
    network_mode: host
    command: [sh, -c, 'echo "listening on 0.0.0.0:80"; echo "bind: address already in use" >&2; exit 1']
`,
    )
    const up = await lab.cli(['repo', 'up', 'crash', '--json'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(1)
    expect(up.json).toMatchObject({ok: false, error: {kind: 'failure', exitCode: 1}})
    expect(up.json.error.message).toMatch(/^up ran on m1, but a container of crash did not stay up:\nservice 'api' \(container crash_api_1\) exited with code 1; its last log lines:\n/)
    expect(up.json.error.message).toContain('    bind: address already in use')
    expect(up.json.error.message).not.toMatch(/service 'web'/)
    expect(up.json.phases.map((p: any) => p.phase)).toContain('settle')
  })

  it('a service that keeps restarting fails repo up too; once fixed, up passes', async () => {
    const {dir} = await repo(
      'loop',
      `services:
  worker:
    image: rdc-test/busybox:local
    network_mode: host
    restart: unless-stopped
    command: sh -c 'echo "missing DATABASE_URL"; exit 2'
`,
    )
    const up = await lab.cli(['repo', 'up', 'loop', '--json'])
    expect(up.code, up.stderr).toBe(1)
    expect(up.json.error.message).toMatch(/service 'worker' \(container loop_worker_1\) restarts \(restarted \d+ times?/)
    expect(up.json.error.message).toContain('    missing DATABASE_URL')

    writeFileSync(join(dir, 'docker-compose.yml'), `services:\n  worker:\n    image: rdc-test/busybox:local\n    network_mode: host\n    restart: unless-stopped\n    init: true\n    command: sleep 3600\n`)
    const fixed = await lab.cli(['repo', 'up', 'loop', '--json'])
    expect(fixed.code, fixed.stderr).toBe(0)
  })

  it("a docker.sock mount is the repository's own daemon; .env feeds the data-folder scan; a database port gets no automatic route", async () => {
    const {networkId} = await repo(
      'tools',
      `services:
  portainer:
    image: rdc-test/busybox:local
    network_mode: host
    init: true
    command: sleep 3600
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - \${DATA_LOCATION}:/data
  db:
    image: rdc-test/busybox:local
    network_mode: host
    init: true
    command: httpd -f -p \${DB_IP}:3306 -h /
    expose: ["3306"]
`,
      {'.env': 'DATA_LOCATION=./library\n', 'library/keep': 'data\n'},
    )
    const up = await lab.cli(['repo', 'up', 'tools', '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.json.sync.protected).toEqual(['library'])
    expect(up.stderr).toContain(`service 'portainer': /var/run/docker.sock:/var/run/docker.sock mounted from this repository's own daemon (/var/run/rediacc/docker-${networkId}.sock)`)

    const sock = `unix:///var/run/rediacc/docker-${networkId}.sock`
    const mounts = JSON.parse((await host.exec(`docker -H ${sock} inspect -f '{{json .Mounts}}' tools_portainer_1`)).stdout)
    expect(mounts.filter((m: any) => m.Destination === '/var/run/docker.sock').map((m: any) => m.Source)).toEqual([`/var/run/rediacc/docker-${networkId}.sock`])
    // What a container sees through that socket: compose-bridge-reboot.test.ts (a Node client lists the containers).

    const h = await health()
    const skipped = h.skipped.filter((s: any) => s.networkId === networkId)
    expect(skipped).toEqual(expect.arrayContaining([expect.objectContaining({container: 'tools_db_1', reason: expect.stringMatching(/^no automatic HTTPS route: port 3306 is not HTTP/)})]))
    const routes = JSON.parse((await host.exec('curl -fsS http://127.0.0.1:7111/routes.json')).stdout).routes.filter((r: any) => r.networkId === networkId)
    expect(routes).toEqual([])
  })

  it('links and compose features the server does not support are refused before connecting', async () => {
    const dir = writeRepoFolder(lab, 'n8n', {
      'docker-compose.yml': 'name: n8n\nservices:\n  n8n:\n    image: rdc-test/busybox:local\n    network_mode: host\n    links: [postgres]\n  postgres:\n    image: rdc-test/busybox:local\n',
    })
    expect((await lab.cli(['repo', 'create', 'n8n', '-m', MACHINE, '--path', dir])).code).toBe(0)
    const up = await lab.cli(['repo', 'up', 'n8n', '--json'])
    expect(up.code).toBe(2)
    expect(up.json.error.message).toMatch(/top-level 'name' is not known to docker-compose 1\.29/)
    expect(up.json.error.message).toMatch(/service 'n8n': links: the Docker daemon refuses links/)
    expect(up.json.phases ?? []).not.toContainEqual(expect.objectContaining({phase: 'connect'}))
  })
})
