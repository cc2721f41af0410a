import {describe, expect, it} from 'vitest'

import type {Transport} from '../remote/transport.js'
import type {RepoTarget} from './repositories.js'
import {httpsHostnames, routingAfterUp} from './routed.js'
import {formatRouting} from './routed-format.js'

const target = {
  name: 'shop',
  machineName: 'server-1',
  machine: {host: '203.0.113.50', user: 'deploy', port: 22, infra: {}},
  location: {networkId: 2816, dockerHost: 'unix:///var/run/rediacc/docker-2816.sock'},
} as unknown as RepoTarget

const ID = (n: number) => `${String(n).repeat(64)}`.slice(0, 64)

/** A transport whose docker ps / routes / health answers come from `states`, one state per poll (the last repeats). */
function fake(states: Array<{ps: string[]; routes: object[]; refusals?: object[]; skipped?: object[]; status?: string}>): Transport & {polls: number} {
  let i = 0
  const t = {
    polls: 0,
    async exec(argv: string[]) {
      const s = states[Math.min(i, states.length - 1)]!
      if (argv[0] === 'docker') {
        t.polls++
        return {code: 0, stdout: s.ps.join('\n') + '\n', stderr: ''}
      }

      if (argv.at(-1)!.endsWith('/routes.json')) return {code: 0, stdout: JSON.stringify({routes: s.routes}), stderr: ''}
      i++
      return {code: 0, stdout: JSON.stringify({status: s.status ?? 'ok', refusals: s.refusals ?? [], skipped: s.skipped ?? []}), stderr: ''}
    },
    async put() {},
    async get() {
      return null
    },
    async close() {},
  }
  return t
}

const route = (container: string, id: string, rule: string) => ({
  protocol: 'http',
  router: `${container}-2816`,
  labelName: container,
  rule,
  entryPoints: ['websecure'],
  service: `${container}-2816`,
  backends: ['http://127.0.11.2:80'],
  networkId: 2816,
  container,
  containerId: id,
  source: 'labels',
})

describe('routingAfterUp', () => {
  it('waits until the route server reports on every running container, by id, then sorts routes, refusals and enable=false', async () => {
    const ps = [`${ID(1)}\tshop-web-1\ttrue`, `${ID(2)}\tshop-bad-1\ttrue`, `${ID(3)}\tshop-db-1\tfalse`]
    const t = fake([
      // The old web container (another id) is still in the reports: not taken for the new one.
      {ps, routes: [route('shop-web-1', ID(9), 'Host(`old.example.com`)')]},
      {
        ps,
        routes: [route('shop-web-1', ID(1), 'Host(`shop.example.com`)')],
        refusals: [{container: 'shop-bad-1', containerId: ID(2), networkId: 2816, object: 'bad', kind: 'foreign-backend', reason: 'service bad: loadbalancer.server.url is not accepted'}],
        skipped: [
          {container: 'shop-db-1', containerId: ID(3), networkId: 2816, reason: 'traefik.enable=false: not routed'},
          {container: 'other-1', containerId: ID(4), networkId: 2880, reason: 'not ours'},
        ],
      },
    ])
    const r = await routingAfterUp({target, connect: async () => t, sleep: async () => {}})
    expect(t.polls).toBe(2)
    expect(r.notSeen).toEqual([])
    expect(r.routes).toEqual([expect.objectContaining({container: 'shop-web-1', router: 'shop-web-1', hosts: ['shop.example.com'], backends: ['http://127.0.11.2:80']})])
    expect(r.problems).toEqual([expect.objectContaining({container: 'shop-bad-1', kind: 'foreign-backend', fix: expect.stringMatching(/server.port/)})])
    expect(r.disabled).toEqual(['shop-db-1'])
    expect(r.unrouted).toEqual(['shop-bad-1'])
    const text = formatRouting(r)
    expect(text).toMatch(/shop-web-1 +shop-web-1 +shop\.example\.com +websecure +http:\/\/127\.0\.11\.2:80/)
    expect(text).toMatch(/shop-bad-1 \(bad\): refused \(foreign-backend\)/)
    expect(text).toMatch(/traefik.enable=false \(not routed, on purpose\): shop-db-1/)
    expect(text).toMatch(/traefik.enable=true but no route: shop-bad-1/)
  })

  it('gives up after the wait and names what the route server did not report on', async () => {
    let now = 0
    const realNow = Date.now
    Date.now = () => now
    try {
      const t = fake([{ps: [`${ID(1)}\tshop-web-1\ttrue`], routes: []}])
      const r = await routingAfterUp({target, connect: async () => t, waitMs: 2000, sleep: async (ms) => void (now += ms)})
      expect(r.notSeen).toEqual(['shop-web-1'])
      expect(r.unrouted).toEqual(['shop-web-1'])
      expect(t.polls).toBe(5)
    } finally {
      Date.now = realNow
    }
  })

  it('HTTPS hostnames are the Host() names of http routes on websecure', () => {
    const base = {container: 'c', router: 'r', backends: [], source: 'labels' as const}
    expect(
      httpsHostnames([
        {...base, protocol: 'http', rule: null, hosts: ['a.example.com', 'b.example.com'], entryPoints: ['websecure', 'websecure-v6']},
        {...base, protocol: 'http', rule: null, hosts: ['plain.example.com'], entryPoints: ['web']},
        {...base, protocol: 'tcp', rule: null, hosts: ['db.example.com'], entryPoints: ['websecure']},
      ]),
    ).toEqual(['a.example.com', 'b.example.com'])
  })
})
