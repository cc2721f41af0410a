/**
 * npm run bench:traefik — what the real Traefik adds on one test host set up as the integration tests set it up
 * (the real CLI, push-infra, Traefik 3.7.15 with certificates from the ACME lab: Pebble over DNS-01 through the
 * Cloudflare API stand-in):
 *  1. `rdc repo up` returning → the first HTTPS 200 through Traefik, for a route whose certificate exists
 *     (repo down / repo up of examples/webapp, ≥ 10 rounds; target ≤ 6 s: Traefik polls the route server every 5 s);
 *  2. a new hostname's route appearing in Traefik → its certificate served (what bounds it: the propagation delay
 *     in traefik.yml, lego's polling, Pebble's validation);
 *  3. requests per second through Traefik to the web app vs the same requests to the backend directly, both sent
 *     from inside the host (the backend's loopback address is reachable only there), side by side in one run.
 */
import {cpus, loadavg} from 'node:os'

import {daemonSocketPath} from '../src/layout/server.js'
import {deploy, ensureBuilt, MACHINE, newLab, setUpMachine, traefikRouters} from '../test/lab/index.js'
import {httpsGet, tlsPeer} from '../test/support/traffic.js'
import {BUSYBOX_IMAGE, loadBusyboxImage, startTestHosts, stopTestHosts, type TestHost} from '../test/testhost/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12)
const NEW_NAMES = Number(process.env.BENCH_NEW_NAMES ?? 5)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000)
const CONCURRENCY = 16
const TOKEN = 'bench-cf-token'
const APP = 'app.example.com'

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!
  const f = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
  return `min ${f(s[0]!)}  median ${f(q(0.5))}  p90 ${f(q(0.9))}  max ${f(s.at(-1)!)}  (n=${s.length})`
}

async function untilMs(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  throw new Error(`not within ${timeoutMs} ms`)
}

/** A load generator run inside the host with its own Node: N requests, C at a time, keep-alive; prints req/s. */
const LOAD = `
const [url, servername, n, c] = process.argv.slice(1)
const mod = require(url.startsWith('https') ? 'node:https' : 'node:http')
const agent = new mod.Agent({keepAlive: true, maxSockets: Number(c)})
let sent = 0, done = 0, failed = 0
const started = process.hrtime.bigint()
function one() {
  if (sent >= Number(n)) return
  sent++
  const req = mod.get(url, {agent, servername, rejectUnauthorized: false, headers: {host: servername}}, (res) => {
    res.resume()
    res.on('end', () => { if (res.statusCode !== 200) failed++; next() })
  })
  req.on('error', () => { failed++; next() })
}
function next() {
  done++
  if (done === Number(n)) {
    const s = Number(process.hrtime.bigint() - started) / 1e9
    console.log(JSON.stringify({rps: Number(n) / s, seconds: s, failed}))
    agent.destroy()
  } else one()
}
for (let i = 0; i < Number(c); i++) one()
`

async function load(host: TestHost, url: string, servername: string): Promise<{rps: number; seconds: number; failed: number}> {
  const r = await host.exec(['node', '-e', LOAD, url, servername, String(REQUESTS), String(CONCURRENCY)], {timeoutMs: 300_000})
  if (r.code !== 0) throw new Error(`load generator: ${r.stderr}`)
  return JSON.parse(r.stdout) as {rps: number; seconds: number; failed: number}
}

async function main(): Promise<void> {
  ensureBuilt()
  const lab = newLab()
  const t0 = performance.now()
  const [host] = await startTestHosts(1, {role: 'bench'})
  await loadBusyboxImage(host!)
  const {acme, pebbleRoot: ca} = await setUpMachine(lab, host!, {acme: {token: TOKEN}})
  try {
    const networkId = await deploy(lab, host!, 'webapp', {images: [BUSYBOX_IMAGE]})
    const issued = await untilMs(async () => (await tlsPeer(host!.address, 443, APP).catch(() => undefined))?.subjectCN === APP, 120_000, 250)
    console.log(`setup (test host, ACME lab, push-infra, webapp): ${((performance.now() - t0) / 1000).toFixed(1)} s; first certificate ${(issued / 1000).toFixed(1)} s after repo up`)
    console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)

    // 1. repo up → first HTTPS 200 (the certificate exists: only routing is measured).
    const toFirst200: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const down = await lab.cli(['repo', 'down', 'webapp', '-m', MACHINE])
      if (down.code !== 0) throw new Error(`repo down: ${down.stderr}`)
      await untilMs(async () => !(await traefikRouters(host!)).includes(`webapp-${networkId}@http`), 20_000, 200)
      const up = await lab.cli(['repo', 'up', 'webapp', '-m', MACHINE])
      if (up.code !== 0) throw new Error(`repo up: ${up.stderr}`)
      toFirst200.push(await untilMs(async () => (await httpsGet({address: host!.address, hostname: APP, ca}).catch(() => undefined))?.status === 200, 30_000, 50))
    }
    console.log(`1. repo up returned → first HTTPS 200 through Traefik: ${quantiles(toFirst200)}  (target ≤ 6 s; Traefik polls every 5 s)`)

    // 2. a new hostname: its router appears in Traefik → its certificate is served.
    const toCert: number[] = []
    const sock = daemonSocketPath(networkId)
    for (let i = 0; i < NEW_NAMES; i++) {
      const name = `new${i}-${Date.now()}.example.com`
      const router = `n${i}x${Date.now()}`
      const labels = [
        'rediacc.service_name=bench', 'rediacc.service_ip=127.0.11.40', `rediacc.network_id=${networkId}`, 'traefik.enable=true',
        `traefik.http.routers.${router}.rule=Host(\`${name}\`)`, `traefik.http.routers.${router}.tls.certresolver=letsencrypt`,
        `traefik.http.services.${router}.loadbalancer.server.port=3000`,
      ].flatMap((l) => ['--label', l])
      const run = await host!.exec(['docker', '-H', `unix://${sock}`, 'run', '-d', '--rm', '--name', `bench-${i}`, '--network', 'host', ...labels, BUSYBOX_IMAGE, 'sleep', '600'])
      if (run.code !== 0) throw new Error(`docker run: ${run.stderr}`)
      await untilMs(async () => (await traefikRouters(host!)).includes(`${router}-${networkId}@http`), 30_000, 100)
      toCert.push(await untilMs(async () => (await tlsPeer(host!.address, 443, name).catch(() => undefined))?.subjectCN === name, 120_000, 100))
      await host!.exec(['docker', '-H', `unix://${sock}`, 'rm', '-f', `bench-${i}`])
    }
    console.log(`2. new hostname's router loaded → its certificate served: ${quantiles(toCert)}`)
    console.log('   bounded by: propagation.delayBeforeChecks 10 s (traefik.yml), then lego polls the TXT record every 2 s, then Pebble validates and issues')

    // 3. throughput: through Traefik (HTTPS, keep-alive) vs the backend directly (HTTP), from inside the host.
    const backend = `http://127.0.11.3:3000/`
    const direct = await load(host!, backend, APP)
    const proxied = await load(host!, `https://${host!.address}/`, APP)
    console.log(`3. ${REQUESTS} GET / at concurrency ${CONCURRENCY}, from inside the host:`)
    console.log(`   direct to the backend ${backend}: ${direct.rps.toFixed(0)} req/s (${direct.failed} failed)`)
    console.log(`   through Traefik (https://${APP} on ${host!.address}): ${proxied.rps.toFixed(0)} req/s (${proxied.failed} failed)`)
    console.log(`   ratio through Traefik / direct: ${(proxied.rps / direct.rps).toFixed(2)}`)
  } finally {
    await acme.stop()
    lab.cleanup()
    await stopTestHosts()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
