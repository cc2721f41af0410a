/**
 * Issue 16 after a reboot, and a docker.sock mount seen from inside: a repository whose services keep compose's
 * networks comes back after the host reboots (no rdc command run) with its NAT, and a service that mounts
 * /var/run/docker.sock talks to its repository's own daemon: it lists that repository's containers only.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {daemonNetwork} from '../../src/net/daemon-network.js'
import {createRepo, ensureBuilt, type Lab, newLab, type OutsideServer, setUpMachine, startOutsideServer, type TestHost} from '../lab/index.js'
import {until} from '../support/wait.js'
import {loadNodeImage, startTestHosts, stopTestHosts} from '../testhost/index.js'

let host: TestHost
let lab: Lab
let outside: OutsideServer
let networkId = 0
let ips: Record<string, {ip: string}> = {}

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

const docker = (args: string) => host.exec(`docker -H unix:///var/run/rediacc/docker-${networkId}.sock ${args}`, {timeoutMs: 60_000})

const LIST = "const http=require('http');http.get({socketPath:'/var/run/docker.sock',path:'/containers/json'},(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>{console.log(JSON.parse(b).map((c)=>c.Names[0]).sort().join(' '))})})"

describe('services with compose networks across a reboot', () => {
  it('deploys web, db and a docker.sock client that sees only its own repository', async () => {
    ;({networkId} = await createRepo(lab, host, 'shop', {
      'docker-compose.yml': `services:
  web:
    image: rdc-test/busybox:local
    restart: unless-stopped
    init: true
    command: sh -c 'mkdir -p /www && echo web > /www/index.html && exec httpd -f -p 80 -h /www'
    ports: ["80:80"]
  db:
    image: rdc-test/busybox:local
    restart: unless-stopped
    init: true
    command: sh -c 'mkdir -p /www && echo db > /www/index.html && exec httpd -f -p 80 -h /www'
  manager:
    image: rdc-test/node:local
    restart: unless-stopped
    init: true
    command: ["node", "-e", "setInterval(() => {}, 1 << 30)"]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
`,
    }))
    await loadNodeImage(host)
    const moved = await host.exec(`docker save rdc-test/node:local | docker -H unix:///var/run/rediacc/docker-${networkId}.sock load`, {timeoutMs: 120_000})
    expect(moved.code, moved.stderr).toBe(0)

    const up = await lab.cli(['repo', 'up', 'shop', '--json'])
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0)
    ips = up.json.services
    const seen = await docker(`exec shop_manager_1 node -e "${LIST}"`)
    expect(seen.stdout.trim(), seen.stderr).toBe('/shop_db_1 /shop_manager_1 /shop_web_1')
  })

  it('after a reboot the containers run, answer on their service IPs and reach outside through the NAT', async () => {
    await host.reboot()
    const {block} = daemonNetwork(networkId)
    await until(async () => (await host.exec(`curl -fsS -m 2 http://${ips.web.ip}:80/`)).stdout.trim() === 'web', 'web to answer after the reboot', {timeoutMs: 90_000, intervalMs: 500})
    expect((await host.exec('iptables -t nat -S POSTROUTING')).stdout).toContain(`-s ${block} ! -d ${block} -j MASQUERADE`)
    const out = await docker(`run --rm --network shop_default rdc-test/busybox:local wget -qO- http://${host.peer}:${outside.port}/after-reboot`)
    expect(out.stdout.trim(), out.stderr).toBe('outside saw /after-reboot')
    const name = await docker('exec shop_web_1 wget -qO- http://db/')
    expect(name.stdout.trim(), name.stderr).toBe('db')
  })
})
