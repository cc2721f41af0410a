/**
 * npm run bench:diagnose — wall time of `rdc diagnose -m m1 --json` (the built CLI, a new process each run, as a
 * user runs it) over SSH to a real test host with 10 HTTPS routes (target ≤ 3 s). The host is set up like the
 * integration tests: the real CLI, push-infra with the real Traefik, 10 busybox apps in repository daemon
 * 2816 with certificates issued by the ACME lab (Pebble over DNS-01), and a dnsmasq on loopback as the resolver. Also prints the walk's own time
 * (the report's durationMs: SSH connect to the last finding) and the loopback stand-in figure for comparison.
 */
import {startDnsmasq} from '../test/support/dnsmasq.js'
import {startTestHosts, stopTestHosts} from '../test/testhost/index.js'
import {diagnose, DOMAIN, rediaccLabels, runApp, setUpDiagnoseMachine} from '../test/diagnose/repo-apps.js'
import {newLab, untilCertificate, untilTraefikHas} from '../test/lab/index.js'

const RUNS = Number(process.env.RUNS ?? 10)
const ROUTES = 10
const names = Array.from({length: ROUTES}, (_, i) => `app${i}.${DOMAIN}`)

function stats(xs: number[]): {median: number; min: number; max: number} {
  const s = [...xs].sort((a, b) => a - b)
  return {median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)!}
}

const [host] = await startTestHosts(1, {role: 'bench'})
const lab = newLab()
const {acme} = await setUpDiagnoseMachine(lab, host!)
const dns = await startDnsmasq([`--local=/${DOMAIN}/`, ...names.map((n) => `--host-record=${n},${host!.address}`)], 53_721)
try {
  for (const [i, name] of names.entries()) {
    await runApp(host!, {
      name: `app${i}-1`,
      slot: i,
      listenPort: 8080,
      labels: {
        ...rediaccLabels(`app${i}`, i),
        'traefik.enable': 'true',
        [`traefik.http.routers.app${i}.rule`]: `Host(\`${name}\`)`,
        [`traefik.http.services.app${i}.loadbalancer.server.port`]: '8080',
      },
    })
  }
  for (const name of names) await untilCertificate(host!.address, name)
  for (let i = 0; i < ROUTES; i++) await untilTraefikHas(host!, 'http', `app${i}-2816`)

  const wall: number[] = []
  const walk: number[] = []
  let summary = ''
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    const {code, report, findings} = await diagnose(lab, ['-m', 'm1', '--resolver', dns.address])
    wall.push(performance.now() - started)
    walk.push(report.machines[0]!.durationMs)
    const bad = findings.filter((f) => f.status !== 'ok')
    if (code !== 0 || bad.length > 0) throw new Error(`the benchmark setup is not healthy (exit ${code}): ${JSON.stringify(bad)}`)
    summary = `${findings.length} findings, ${findings.filter((f) => f.hop === 'route').length} routes, all ok`
  }
  const w = stats(wall)
  const k = stats(walk)
  console.log(`rdc diagnose -m m1 --json over SSH to a test host, ${ROUTES} HTTPS routes, ${RUNS} runs (${summary})`)
  console.log(`  CLI process wall time: median ${w.median.toFixed(0)} ms   min ${w.min.toFixed(0)} ms   max ${w.max.toFixed(0)} ms`)
  console.log(`  walk (SSH connect → last finding): median ${k.median.toFixed(0)} ms   min ${k.min.toFixed(0)} ms   max ${k.max.toFixed(0)} ms`)
  console.log(`  target 3000 ms → wall median is ${(w.median / 3000).toFixed(2)}× the budget`)
} finally {
  await dns.stop()
  await acme.stop()
  lab.cleanup()
  await stopTestHosts()
}
