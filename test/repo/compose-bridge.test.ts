/**
 * Issue 16's core on a real test host: services without `network_mode: host` keep compose's networks in their
 * repository's daemon, their ports published on their own service IP; each repository's daemon has its own
 * subnets with NAT (outbound here means the host's veth peer, this machine: test hosts reach nothing else).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {daemonNetwork} from '../../src/net/daemon-network.js'
import {startTestHosts, stopTestHosts} from '../testhost/index.js'
import {createRepo, type CreatedRepo, ensureBuilt, type Lab, newLab, type OutsideServer, setUpMachine, startOutsideServer, type TestHost} from '../lab/index.js'
import {httpsGet} from '../support/traffic.js'

let host: TestHost
let lab: Lab
let outside: OutsideServer

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  await setUpMachine(lab, host)
  outside = await startOutsideServer(host)
}, 600_000)

afterAll(async () => {
  await outside?.close()
  await stopTestHosts()
  lab?.cleanup()
})

const repo = (name: string, files: Record<string, string>): Promise<CreatedRepo> => createRepo(lab, host, name, files)

const dockerIn = (networkId: number, args: string) => host.exec(`docker -H unix:///var/run/rediacc/docker-${networkId}.sock ${args}`)

/** Like wordpress + mysql: both bind every address on port 80, web reaches db by name, a private admin port. */
const SHOP = `services:
  web:
    image: rdc-test/busybox:local
    restart: unless-stopped
    init: true
    command: sh -c 'mkdir -p /www && echo web > /www/index.html && exec httpd -f -p 80 -h /www'
    ports: ["80:80", "127.0.0.1:3000:80"]
    depends_on: [db]
  db:
    image: rdc-test/busybox:local
    restart: unless-stopped
    init: true
    command: sh -c 'mkdir -p /www && echo db > /www/index.html && exec httpd -f -p 80 -h /www'
    expose: ["80"]
  legacy:
    image: rdc-test/busybox:local
    network_mode: host
    init: true
    command: httpd -f -p \${LEGACY_IP}:8080 -h /
    expose: ["8080"]
`

describe('services that keep compose networks, on a test host', () => {
  let shop: {dir: string; networkId: number}
  let ips: Record<string, {ip: string}>

  it('deploys two services on port 80 in one repository next to a host-network one, each on its own service IP', async () => {
    shop = await repo('shop', {'docker-compose.yml': SHOP})
    const up = await lab.cli(['repo', 'up', 'shop', '--json'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0)
    ips = up.json.services
    for (const [name, want] of [['web', 'web'], ['db', 'db']]) {
      expect((await host.exec(`curl -fsS http://${ips[name].ip}:80/`)).stdout.trim()).toBe(want)
    }

    // busybox httpd answers (404 for a folder without index.html): it listens on its service IP on the host network.
    expect((await host.exec(`curl -sS -o /dev/null -w %{http_code} http://${ips.legacy.ip}:8080/`)).stdout).toBe('404')
    // Published on the service IP only: not on the public address, where the proxy holds :80.
    expect((await host.exec(`ss -Hltn 'sport = :80'`)).stdout).not.toMatch(/\*:80|0\.0\.0\.0:80 .*docker-proxy/)
  })

  it('web reaches db by its name, as in plain compose', async () => {
    const r = await dockerIn(shop.networkId, 'exec shop_web_1 wget -qO- http://db/')
    expect(r.stdout.trim(), r.stderr).toBe('db')
  })

  it('a port published on 127.0.0.1 stays there', async () => {
    expect((await host.exec('curl -fsS http://127.0.0.1:3000/')).stdout.trim()).toBe('web')
    expect((await host.exec(`curl -sS -m 3 -o /dev/null -w %{http_code} http://${ips.web.ip}:3000/`)).stdout).toBe('000')
  })

  it('the app binding every address on :80 is reached through its automatic route on the real Traefik', async () => {
    const hostname = `web-${shop.networkId}.example.com`
    let answer = {status: 0, body: ''}
    for (let i = 0; i < 40 && answer.status !== 200; i++) {
      answer = await httpsGet({address: host.address, hostname, insecure: true}).catch(() => ({status: 0, body: '', headers: {}}))
      if (answer.status !== 200) await new Promise((r) => setTimeout(r, 500))
    }

    expect(answer.status).toBe(200)
    expect(answer.body.trim()).toBe('web')
  })

  it('a container reaches an address outside the host (NAT), and a build step has network', async () => {
    const r = await dockerIn(shop.networkId, `exec shop_web_1 wget -qO- http://${host.peer}:${outside.port}/from-container`)
    expect(r.stdout.trim(), r.stderr).toBe('outside saw /from-container')

    const built = await repo('built', {
      'docker-compose.yml': 'services:\n  app:\n    build: .\n    image: built-app\n    init: true\n    command: sh -c "cat /fetched; exec sleep 3600"\n',
      Dockerfile: `FROM rdc-test/busybox:local\nRUN wget -qO /fetched http://${host.peer}:${outside.port}/from-build\n`,
    })
    const up = await lab.cli(['repo', 'up', 'built', '--json'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect((await dockerIn(built.networkId, 'logs built_app_1')).stdout).toContain('outside saw /from-build')
  })

  it('two repositories with the same service names and default networks run side by side in their own subnets', async () => {
    const twin = await repo('shop2', {'docker-compose.yml': SHOP.replace('"80:80", "127.0.0.1:3000:80"', '"80:80"')})
    const up = await lab.cli(['repo', 'up', 'shop2', '--json'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect((await host.exec(`curl -fsS http://${up.json.services.web.ip}:80/`)).stdout.trim()).toBe('web')
    const subnet = async (networkId: number, network: string) => (await dockerIn(networkId, `network inspect -f '{{(index .IPAM.Config 0).Subnet}}' ${network}`)).stdout.trim()
    expect(await subnet(shop.networkId, 'shop_default')).toBe('10.64.2.0/26')
    expect(await subnet(twin.networkId, 'shop2_default')).toMatch(/^10\.64\.\d+\.\d+\/26$/)
    expect(await subnet(twin.networkId, 'shop2_default')).not.toBe(await subnet(shop.networkId, 'shop_default'))
    // One repository's containers cannot reach the other's.
    const dbIp = (await dockerIn(twin.networkId, `inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' shop2_db_1`)).stdout.trim()
    const ownDbIp = (await dockerIn(shop.networkId, `inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' shop_db_1`)).stdout.trim()
    expect((await dockerIn(shop.networkId, `exec shop_web_1 wget -qO- http://${ownDbIp}/`)).stdout.trim()).toBe('db')
    // Dropped, so the request hangs: the host's timeout ends it.
    const across = await host.exec(`timeout 5 docker -H unix:///var/run/rediacc/docker-${shop.networkId}.sock exec shop_web_1 wget -qO- http://${dbIp}/`)
    expect(across.code).not.toBe(0)
    expect(across.stdout).not.toContain('db')
  })

  it("the daemon's unit removes the NAT when it stops and brings it back when it starts (as at boot)", async () => {
    const {block} = daemonNetwork(shop.networkId)
    const nat = async () => (await host.exec('iptables -t nat -S POSTROUTING')).stdout
    const down = await lab.cli(['repo', 'down', 'shop', '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(await nat()).not.toContain(`-s ${block} `)
    expect((await host.exec(`ip link show ${daemonNetwork(shop.networkId).bridge}`)).code).not.toBe(0)

    const up = await lab.cli(['repo', 'up', 'shop', '--json'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(await nat()).toContain(`-s ${block} ! -d ${block} -j MASQUERADE`)
    // A new container on the repository's network (docker exec into one started before the restart is unreliable
    // on Debian's docker 20.10 after its daemon restarted, whatever the network).
    const r = await dockerIn(shop.networkId, `run --rm --network shop_default rdc-test/busybox:local wget -qO- http://${host.peer}:${outside.port}/after-restart`)
    expect(r.stdout.trim(), r.stderr).toBe('outside saw /after-restart')
    expect((await host.exec(`curl -fsS http://${ips.web.ip}:80/`)).stdout.trim()).toBe('web')
  })

  it('a daemon started before its repository had its own networks is restarted once by repo up', async () => {
    const config = `/var/run/rediacc/dockerd-${shop.networkId}.json`
    // What a daemon of the older unit lacks (it ran with --bridge=none and no pool of its own).
    expect((await host.exec(`rm ${config}`)).code).toBe(0)
    const up = await lab.cli(['repo', 'up', 'shop'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(up.stderr).toContain(`restarted rediacc-docker@${shop.networkId}.service: it was started before repository daemons had their own networks`)
    expect((await host.exec(`test -f ${config}`)).code).toBe(0)
    expect((await host.exec(`curl -fsS http://${ips.web.ip}:80/`)).stdout.trim()).toBe('web')
    const again = await lab.cli(['repo', 'up', 'shop'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('restarted rediacc-docker@')
  })
})
