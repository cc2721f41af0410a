/**
 * A reboot brings everything back (issue 17): a test host with two repositories, `webapp` image-backed (repo up
 * --mount, its image on a loop device) and up, `shop` deployed and then taken down. The host reboots (systemd halts,
 * the container starts again and boots systemd, the veth comes back with the same addresses) and no rdc command runs
 * afterwards: webapp's image is mounted by its mount unit before its daemon starts, the daemon and its containers
 * (restart: unless-stopped) run, shop stays down, every route answers through the real Traefik as before, and the
 * route server never served Traefik an empty 200 while the daemons came up. Then repo down --unmount and repo
 * delete --purge leave no unit, mount or boot entry. Certificates are not checked (Traefik's default one is served:
 * no ACME lab here), only where each request lands.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {HealthReport} from '../../src/renet/router/types.js'
import {ensureBuilt, importImageIntoRepoDaemon, type Lab, MACHINE, newLab, routeServerRouters, setUpMachine, traefikRouters, untilTraefikLoadedAll} from '../lab/index.js'
import {httpsGet} from '../support/traffic.js'
import {until} from '../support/wait.js'
import {loadBusyboxImage, startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'

const APP = 'app.example.com'
const SHOP = 'shop.example.com'
const WEBAPP_MOUNT_UNIT = 'mnt-rediacc-repos-webapp.mount'
/**
 * A test-only drop-in that makes webapp's daemon start 8 s late at boot (as a slow disk or a big restore would):
 * Traefik, started by docker.service after the route server, polls /traefik while the route server still waits,
 * so the wait is seen (503s counted) and an empty 200 would be too.
 */
const SLOW_START = (id: number) => `/etc/systemd/system/rediacc-docker@${id}.service.d/zz-test-slow-start.conf`

let host: TestHost
let lab: Lab
const ids: Record<'webapp' | 'shop', number> = {webapp: 0, shop: 0}
let routersBefore: string[] = []
let pageBefore = ''

async function sh(script: string): Promise<string> {
  const r = await host.exec(['sh', '-c', script], {timeoutMs: 60_000})
  if (r.code !== 0) throw new Error(`${script}: exit ${r.code}: ${r.stderr}`)
  return r.stdout.trim()
}

async function rdc(args: string[]): Promise<any> {
  const r = await lab.cli([...args, '--json'])
  if (r.code !== 0) throw new Error(`rdc ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r.json
}

/** Status and body of https://NAME/ sent to the host's public IPv4 address, as a client on the internet sends it. */
async function get(hostname: string): Promise<{status: number; body: string}> {
  const r = await httpsGet({address: host.address, hostname, insecure: true})
  return {status: r.status, body: r.body}
}

async function untilStatus(hostname: string, status: number, timeoutMs = 60_000): Promise<{status: number; body: string}> {
  let last = new Error('no answer') as {status: number; body: string} | Error
  await until(
    async () => {
      last = await get(hostname).catch((error: Error) => error)
      return !(last instanceof Error) && last.status === status
    },
    `https://${hostname}/ to answer ${status} through Traefik`,
    {timeoutMs, intervalMs: 500},
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last: ${last instanceof Error ? last.message : `${last.status} ${last.body.slice(0, 200)}`})`)
  })
  return last as unknown as {status: number; body: string}
}

async function health(): Promise<HealthReport> {
  return JSON.parse(await sh('curl -sS -m 5 http://127.0.0.1:7111/health')) as HealthReport
}

async function createAndUp(name: 'webapp' | 'shop', path: string, size?: string): Promise<number> {
  const created = await rdc(['repo', 'create', name, '-m', MACHINE, '--path', path, ...(size ? ['--size', size] : [])])
  const networkId = Number(created.networkId ?? created.repository?.networkId)
  await importImageIntoRepoDaemon(host, networkId)
  await rdc(['repo', 'up', name, '-m', MACHINE, ...(size ? ['--mount'] : [])])
  return networkId
}

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1, {loopDevices: true})
  lab = newLab()
  await loadBusyboxImage(host)
  await setUpMachine(lab, host)
  ids.webapp = await createAndUp('webapp', lab.copyExample('webapp'), '64M')
  // The same example under other names: its own hostname, router, service and middleware.
  const shop = lab.copyExample('webapp', 'shop')
  const compose = join(shop, 'docker-compose.yml')
  writeFileSync(compose, readFileSync(compose, 'utf8').replaceAll(APP, SHOP).replaceAll('.webapp.', '.shop.').replaceAll('webapp-hsts', 'shop-hsts'))
  ids.shop = await createAndUp('shop', shop)
  await untilTraefikLoadedAll(host)
  await untilStatus(SHOP, 200)
  await rdc(['repo', 'down', 'shop', '-m', MACHINE])
  await untilStatus(SHOP, 404, 30_000)
  pageBefore = (await untilStatus(APP, 200)).body
  routersBefore = (await untilTraefikLoadedAll(host)).sort()
}, 600_000)

afterAll(async () => {
  lab?.cleanup()
  await stopTestHosts()
})

describe('a reboot brings everything back, with no rdc command run', () => {
  it('up enabled what it started (and the image mount at boot); down disabled it', async () => {
    expect(await sh(`systemctl is-enabled rediacc-docker@${ids.webapp}.service`)).toBe('enabled')
    expect(await sh(`systemctl is-enabled rediacc-docker@${ids.shop}.service || true`)).toBe('disabled')
    expect(await sh(`systemctl show -p FragmentPath --value ${WEBAPP_MOUNT_UNIT}`)).toBe(`/etc/systemd/system/${WEBAPP_MOUNT_UNIT}`)
    expect(await sh(`systemctl show -p RequiresMountsFor --value rediacc-docker@${ids.webapp}.service`)).toContain('/mnt/rediacc/repos/webapp')
    expect(await sh(`systemctl show -p Requires --value rediacc-docker@${ids.webapp}.service`)).toContain(WEBAPP_MOUNT_UNIT)
    expect(await sh(`systemctl show -p After --value rediacc-docker@${ids.webapp}.service`)).toContain(WEBAPP_MOUNT_UNIT)
  })

  it('the host reboots and comes back on the same addresses', async () => {
    // Monotonic times are the kernel's, shared with the container: a later start of systemd means a new boot.
    const systemdStarted = () => sh('systemctl show -p UserspaceTimestampMonotonic --value')
    const before = Number(await systemdStarted())
    await sh(`printf '[Service]\\nExecStartPre=/bin/sleep 8\\n' > ${SLOW_START(ids.webapp)} && systemctl daemon-reload`)
    await host.reboot()
    expect(Number(await systemdStarted())).toBeGreaterThan(before)
    expect(await sh('ip -o addr show dev eth0')).toContain(host.address)
  }, 240_000)

  it('the image is mounted by its unit, before its daemon, and the daemon and its containers run', async () => {
    await until(async () => (await host.exec(`systemctl is-active rediacc-docker@${ids.webapp}.service`)).stdout.trim() === 'active', 'the webapp daemon', {timeoutMs: 120_000})
    expect(await sh(`systemctl is-active ${WEBAPP_MOUNT_UNIT}`)).toBe('active')
    expect(await sh('findmnt -n -o SOURCE,FSTYPE --target /mnt/rediacc/repos/webapp')).toMatch(/^\/dev\/loop\d+\s+ext4$/)
    const mountedAt = Number(await sh(`systemctl show -p ActiveEnterTimestampMonotonic --value ${WEBAPP_MOUNT_UNIT}`))
    const daemonStarting = Number(await sh(`systemctl show -p InactiveExitTimestampMonotonic --value rediacc-docker@${ids.webapp}.service`))
    expect(mountedAt).toBeGreaterThan(0)
    expect(daemonStarting).toBeGreaterThanOrEqual(mountedAt)
    await until(
      async () => (await sh(`docker -H unix:///var/run/rediacc/docker-${ids.webapp}.sock ps --format '{{.Names}}' | sort`)).split('\n').length === 2,
      'webapp and postgres running again (restart: unless-stopped)',
      {timeoutMs: 60_000},
    )
  }, 180_000)

  it('the repository that was down stays down', async () => {
    expect(await sh(`systemctl is-active rediacc-docker@${ids.shop}.service || true`)).toBe('inactive')
    expect(await sh(`[ -e /var/run/rediacc/docker-${ids.shop}.sock ] && echo present || echo absent`)).toBe('absent')
    expect((await get(SHOP)).status).toBe(404)
  })

  it('every route answers through the real Traefik as before the reboot', async () => {
    const page = await untilStatus(APP, 200, 90_000)
    expect(page.body).toBe(pageBefore)
    expect((await untilTraefikLoadedAll(host, 60_000)).sort()).toEqual(routersBefore)
    expect((await traefikRouters(host)).filter((r) => r.endsWith('@http')).sort()).toEqual(expect.arrayContaining(await routeServerRouters(host)))
  }, 180_000)

  it('the route server waited for the enabled daemon and never served an empty 200; it came up before the proxy', async () => {
    const h = await health()
    expect(h.status).not.toBe('starting')
    // Traefik asked while webapp's daemon was still starting, was told 503 (it keeps its last configuration), and
    // never got an empty configuration.
    expect(h.boot.traefikAnswers.empty).toBe(0)
    expect(h.boot.traefikAnswers.unavailable).toBeGreaterThan(0)
    expect(h.boot.traefikAnswers.ok).toBeGreaterThan(0)
    expect(h.boot).toMatchObject({expected: [ids.webapp], settled: true, settledBy: 'answered', waitingFor: []})
    const journal = await sh('journalctl -b -u rediacc-router -o cat --no-pager')
    expect(journal).toContain('expecting daemons')
    expect(journal).toContain('expected daemons settled')
    const routerUp = Number(await sh('systemctl show -p ActiveEnterTimestampMonotonic --value rediacc-router'))
    const dockerStarting = Number(await sh('systemctl show -p InactiveExitTimestampMonotonic --value docker'))
    expect(routerUp).toBeGreaterThan(0)
    expect(dockerStarting).toBeGreaterThanOrEqual(routerUp)
  })

  it('repo down --unmount, then repo delete --purge leave no unit, mount or boot entry', async () => {
    await sh(`rm ${SLOW_START(ids.webapp)} && systemctl daemon-reload`)
    await rdc(['repo', 'down', 'webapp', '-m', MACHINE, '--unmount'])
    expect(await sh(`systemctl is-enabled rediacc-docker@${ids.webapp}.service || true`)).toBe('disabled')
    for (const name of ['webapp', 'shop'] as const) await rdc(['repo', 'delete', name, '-m', MACHINE, '--purge'])
    const left = await sh(
      [
        'mountpoint -q /mnt/rediacc/repos/webapp && echo mounted',
        `ls /etc/systemd/system | grep -e ${WEBAPP_MOUNT_UNIT} -e 'rediacc-docker@[0-9]'`,
        "find /etc/systemd/system -name 'rediacc-docker@[0-9]*'",
        `systemctl list-units --all --plain --no-legend | grep -e ${WEBAPP_MOUNT_UNIT} -e 'rediacc-docker@[0-9]'`,
        'grep /mnt/rediacc/repos/webapp /proc/self/mountinfo',
        'true',
      ].join('; '),
    )
    expect(left).toBe('')
  }, 120_000)
})
