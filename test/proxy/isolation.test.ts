/**
 * Repository isolation through the real Traefik: a victim repository routes shop.example.com; a thief repository on
 * the same host runs one container per hole of issue 11, each with labels crafted to take the victim's traffic or
 * reach its service. For every hole the thief's container is up, a request for the victim's name still reaches the
 * victim (the body names the container that answered), the thief's own name does not reach the victim, and the
 * route server's /health names the refusal and its reason. Requests go from this machine to the host's public
 * address, as a client on the internet sends them; certificates are not checked (Traefik's default one is served
 * until ACME issues one, and where a request lands is the point here).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {HealthReport, Refusal, RefusalReason} from '../../src/renet/router/types.js'
import {ensureBuilt, importImageIntoRepoDaemon, type Lab, newLab, setUpMachine, untilTraefikLoadedAll} from '../lab/index.js'
import {httpGet, httpsGet, tcpExchange} from '../support/traffic.js'
import {until} from '../support/wait.js'
import {startTestHosts, stopTestHosts, type TestHost} from '../testhost/index.js'

const VICTIM = 2816
const THIEF = 2880
const SHOP = 'shop.example.com'
const IMAGE = 'rdc-test/busybox:local'

function serviceIp(networkId: number, slot: number): string {
  const v = networkId + slot + 2
  return `127.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`
}

interface Hole {
  title: string
  labels: Record<string, string>
  kind: RefusalReason
  reason: RegExp
  /** The thief's own hostname: a request for it must not be answered by the victim. */
  own?: string
  /** Where else the thief would have landed: port 80 of the victim's name, or an HTTPS name nobody routes. */
  probe?: 'plain-http' | 'unrouted-https'
}

const router = (rule: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'traefik.enable': 'true',
  'traefik.http.routers.r.rule': rule,
  'traefik.http.services.s.loadbalancer.server.port': '80',
  ...extra,
})

const tcpRouter = (entrypoints: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'traefik.enable': 'true',
  'traefik.tcp.routers.t.rule': 'HostSNI(`*`)',
  'traefik.tcp.routers.t.entrypoints': entrypoints,
  'traefik.tcp.services.t.loadbalancer.server.port': '80',
  ...extra,
})

const HOLES: Hole[] = [
  {title: 'a trailing dot in Host()', labels: router('Host(`shop.example.com.`)'), kind: 'foreign-hostname', reason: /shop\.example\.com is already routed by repository 2816/},
  {title: 'letter case in Host()', labels: router('Host(`SHOP.Example.COM`)'), kind: 'foreign-hostname', reason: /shop\.example\.com is already routed by repository 2816/},
  {title: 'Go escapes in a double-quoted Host()', labels: router('Host("shop\\x2eexample\\056com")'), kind: 'foreign-hostname', reason: /shop\.example\.com is already routed by repository 2816/},
  {title: 'a control character in a raw Host() string (Go drops the CR)', labels: router('Host(`shop.example.com\r`)'), kind: 'invalid-hostname', reason: /control characters/},
  {
    title: 'a host injected through loadbalancer.server.port',
    labels: router('Host(`thief-port.example.com`)', {'traefik.http.services.s.loadbalancer.server.port': `80@${serviceIp(VICTIM, 0)}:80`}),
    kind: 'foreign-backend',
    reason: /is not a port/,
    own: 'thief-port.example.com',
  },
  {
    title: 'a URL injected through loadbalancer.server.scheme',
    labels: router('Host(`thief-scheme.example.com`)', {'traefik.http.services.s.loadbalancer.server.scheme': `http://${serviceIp(VICTIM, 0)}:80/#`}),
    kind: 'foreign-backend',
    reason: /scheme .* is not one of http, https, h2c/,
    own: 'thief-scheme.example.com',
  },
  {
    title: "forwardAuth to the victim's IP written as IPv4-mapped IPv6",
    labels: router('Host(`thief-auth.example.com`)', {
      'traefik.http.middlewares.auth.forwardauth.address': `http://[::ffff:${serviceIp(VICTIM, 0)}]:80/`,
      'traefik.http.routers.r.middlewares': 'auth',
    }),
    kind: 'foreign-backend',
    reason: /IPv4-mapped/,
    own: 'thief-auth.example.com',
  },
  {
    title: 'forwardAuth to the route server through user info',
    labels: router('Host(`thief-auth2.example.com`)', {'traefik.http.middlewares.auth.forwardauth.address': 'http://x@127.0.0.1:7111/health', 'traefik.http.routers.r.middlewares': 'auth'}),
    kind: 'foreign-backend',
    reason: /loopback/,
    own: 'thief-auth2.example.com',
  },
  {title: 'forwardAuth to localhost', labels: router('Host(`thief-auth3.example.com`)', {'traefik.http.middlewares.auth.forwardauth.address': 'http://LocalHost.:7111/', 'traefik.http.routers.r.middlewares': 'auth'}), kind: 'foreign-backend', reason: /localhost/, own: 'thief-auth3.example.com'},
  {title: 'a TCP HostSNI(`*`) router on web', labels: tcpRouter('web'), kind: 'shared-entrypoint', reason: /without TLS on web/, probe: 'plain-http'},
  {title: 'a TLS HostSNI(`*`) router on websecure', labels: tcpRouter('websecure,websecure-v6', {'traefik.tcp.routers.t.tls': 'true'}), kind: 'shared-entrypoint', reason: /HostSNI\(`\*`\) on websecure/, probe: 'unrouted-https'},
]

let host: TestHost
let lab: Lab
let health: HealthReport

async function health_(): Promise<HealthReport> {
  const r = await host.exec(['curl', '-fsS', '-m', '5', 'http://127.0.0.1:7111/health'])
  if (r.code !== 0) throw new Error(`the route server's /health did not answer: ${r.stderr}`)
  return JSON.parse(r.stdout) as HealthReport
}

/** A busybox httpd on the service's own address whose page names the container, created through the Docker API. */
async function runContainer(networkId: number, slot: number, name: string, labels: Record<string, string>): Promise<void> {
  const ip = serviceIp(networkId, slot)
  const body = {
    Image: IMAGE,
    Cmd: ['sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p ${ip}:80 -h /www`],
    Labels: {'rediacc.service_name': name, 'rediacc.service_ip': ip, 'rediacc.network_id': String(networkId), ...labels},
    HostConfig: {NetworkMode: 'host'},
  }
  const sock = `/var/run/rediacc/docker-${networkId}.sock`
  const script = `curl -fsS --unix-socket ${sock} -H 'Content-Type: application/json' -d @- 'http://d/containers/create?name=${name}' >/dev/null && curl -fsS --unix-socket ${sock} -X POST http://d/containers/${name}/start`
  const r = await host.exec(['sh', '-c', script], {input: JSON.stringify(body)})
  if (r.code !== 0) throw new Error(`creating ${name} in docker-${networkId}: ${r.stderr}${r.stdout}`)
}

async function running(networkId: number): Promise<string[]> {
  const r = await host.exec(['curl', '-fsS', '--unix-socket', `/var/run/rediacc/docker-${networkId}.sock`, 'http://d/containers/json'])
  return (JSON.parse(r.stdout) as Array<{Names: string[]}>).flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))
}

const thiefName = (i: number): string => `thief${i}`

/** The hole's labels with its router, service and middleware names numbered, so no two thieves share a name. */
function numbered(labels: Record<string, string>, i: number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(labels)) {
    const k = key.replace(/^(traefik\.(?:http|tcp)\.(?:routers|services|middlewares)\.)([a-z]+)\./, `$1$2${i}.`)
    out[k] = k.endsWith('.middlewares') ? `${value}${i}` : value
  }

  return out
}

beforeAll(async () => {
  ensureBuilt()
  ;[host] = await startTestHosts(1)
  lab = newLab()
  try {
    await setUpMachine(lab, host)
  } catch (error) {
    const j = await host.exec(['sh', '-c', 'journalctl -u rediacc-router --no-pager | tail -40; node --version'])
    throw new Error(`${(error as Error).message}\n--- journal ---\n${j.stdout}${j.stderr}`)
  }
  await Promise.all([importImageIntoRepoDaemon(host, VICTIM), importImageIntoRepoDaemon(host, THIEF)])
  // The victim first: who had a hostname first is the older container.
  await runContainer(VICTIM, 0, 'victim', router(`Host(\`${SHOP}\`)`))
  for (const [i, hole] of HOLES.entries()) await runContainer(THIEF, i, thiefName(i), numbered(hole.labels, i))
  await until(
    async () => {
      health = await health_()
      return HOLES.every((_, i) => health.refusals.some((r) => r.container === thiefName(i)))
    },
    'the route server to refuse every thief container',
    {timeoutMs: 60_000, intervalMs: 500},
  )
  await untilTraefikLoadedAll(host)
}, 420_000)

afterAll(async () => {
  lab?.cleanup()
  await stopTestHosts()
})

describe('one repository cannot take another repository\'s traffic through the real Traefik', () => {
  it("every thief container is up, and the route server serves only the victim's router", async () => {
    expect(await running(THIEF)).toEqual(expect.arrayContaining(HOLES.map((_, i) => thiefName(i))))
    const r = await host.exec(['curl', '-fsS', '-m', '5', 'http://127.0.0.1:7111/routes.json'])
    const routes = (JSON.parse(r.stdout) as {routes: Array<{router: string; networkId: number}>}).routes
    expect(routes.map((x) => [x.router, x.networkId])).toEqual([[`r-${VICTIM}`, VICTIM]])
  })

  it.each(HOLES.map((hole, i) => [hole.title, hole, i] as const))('%s', async (_title, hole, i) => {
    const refusals: Refusal[] = health.refusals.filter((r) => r.container === thiefName(i))
    expect(new Set(refusals.map((r) => r.kind))).toEqual(new Set([hole.kind]))
    expect(refusals.map((r) => r.reason)).toContainEqual(expect.stringMatching(hole.reason))

    for (const address of [host.address, host.address6]) {
      for (const name of [SHOP, SHOP.toUpperCase()]) {
        const answer = await httpsGet({address, hostname: name, insecure: true})
        expect([answer.status, answer.body.trim()], `${name} at ${address}`).toEqual([200, 'victim'])
      }
    }

    if (hole.own !== undefined) {
      const answer = await httpsGet({address: host.address, hostname: hole.own, insecure: true})
      expect(answer.body).not.toMatch(/victim|thief/)
      expect(answer.status).toBe(404)
    }

    if (hole.probe === 'plain-http') {
      for (const address of [host.address, host.address6]) {
        const answer = await httpGet({address, hostname: SHOP})
        expect([301, 308]).toContain(answer.status)
        expect(answer.headers.location).toBe(`https://${SHOP}/`)
        expect(await tcpExchange(address, 80, `GET / HTTP/1.0\r\nHost: ${SHOP}\r\n\r\n`)).not.toMatch(/thief/)
      }
    }

    if (hole.probe === 'unrouted-https') {
      const answer = await httpsGet({address: host.address, hostname: 'nobody.example.com', insecure: true})
      expect([answer.status, answer.body]).toEqual([404, expect.not.stringMatching(/thief/)])
    }
  })

  it('/health is degraded, and every refusal is the thief\'s', () => {
    expect(health.status).toBe('degraded')
    expect(health.counts.refusals).toBe(health.refusals.length)
    expect(new Set(health.refusals.map((r) => r.networkId))).toEqual(new Set([THIEF]))
  })
})
