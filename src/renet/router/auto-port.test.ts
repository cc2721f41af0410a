import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {autoRoutePort, NON_HTTP_PORTS} from './auto-port.js'
import {ConfigBuilder} from './build.js'
import type {PlanSettings} from './plan-model.js'
import {PortAllocator} from './ports.js'
import type {ContainerInfo} from './types.js'

const SETTINGS: PlanSettings = {baseDomain: 'example.com', entrypoints: ['web', 'websecure', 'tcp-3306'], httpsEntrypoints: ['websecure'], certResolver: 'letsencrypt'}

function container(slot: number, labels: Record<string, string>): ContainerInfo {
  const v = 2816 + slot + 2
  return {
    id: `c${slot}`,
    name: `svc${slot}`,
    created: slot,
    health: '',
    labels: {'rediacc.service_ip': `127.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`, 'rediacc.network_id': '2816', ...labels},
  }
}

let stateDir: string
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'rdc-auto-port-'))
})
afterEach(() => rmSync(stateDir, {recursive: true, force: true}))

describe('automatic routes and non-HTTP ports', () => {
  it("are the guide's non-HTTP ports", () => {
    expect([...NON_HTTP_PORTS].sort((a, b) => a - b)).toEqual([25, 53, 3306, 5432, 5672, 6379, 9092, 11211, 27017])
  })

  it('pick the first HTTP port, none for a database, and the port the user names', () => {
    expect(autoRoutePort(undefined, [3306, 8080])).toEqual({port: 8080})
    expect(autoRoutePort(undefined, [])).toEqual({port: undefined})
    expect(autoRoutePort(undefined, [5432])).toMatchObject({port: undefined, reason: expect.stringMatching(/^no automatic HTTPS route: port 5432 is not HTTP/)})
    expect(autoRoutePort(6379, [6379])).toEqual({port: 6379})
  })

  it('give a database with expose: 3306 no https://db-<id> route; the reason is among the skipped (/health)', () => {
    const ports = new PortAllocator({stateDir, ranges: {tcp: {from: 10_000, to: 10_001}, udp: null}, graceMs: 60_000, now: () => 1})
    const b = new ConfigBuilder(SETTINGS, ports)
    const r = b.build([
      {
        networkId: 2816,
        containers: [
          container(0, {'rediacc.service_name': 'db', 'rediacc.tcp_ports': '3306'}),
          container(1, {'rediacc.service_name': 'cache', 'rediacc.tcp_ports': '6379,11211'}),
          container(2, {'rediacc.service_name': 'app', 'rediacc.tcp_ports': '5432,8080'}),
        ],
      },
    ])
    expect(Object.keys(r.config.http?.routers ?? {})).toEqual(['app-2816'])
    expect(r.config.http?.services?.['app-2816']).toEqual({loadBalancer: {servers: [{url: 'http://127.0.11.4:8080'}]}})
    expect(r.skipped.map((s) => [s.container, s.reason.split(';')[0]])).toEqual([
      ['svc0', 'no automatic HTTPS route: port 3306 is not HTTP (a database, cache, broker, mail or DNS port)'],
      ['svc1', 'no automatic HTTPS route: ports 6379, 11211 are not HTTP (a database, cache, broker, mail or DNS port)'],
    ])
  })
})
