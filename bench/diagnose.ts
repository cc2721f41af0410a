/**
 * npm run bench:diagnose — wall time of the whole walk of one machine with 10 HTTPS routes (target ≤ 3 s),
 * gathered over a local transport from the loopback stand-in server (test/support/diagnose-lab.ts). The figure
 * over real SSH to a test host is measured by the integration suite's benchmark once the hosts are wired in.
 */
import {LO, startLab} from '../test/support/diagnose-lab.js'
import {localTransport} from '../test/support/local-transport.js'
import {diagnose} from '../src/diagnose/run.js'

const RUNS = Number(process.env.RUNS ?? 10)
const VERSION = '9.9.9-bench'
const names = Array.from({length: 10}, (_, i) => `app${i}.good.test`)

const lab = await startLab({
  version: VERSION,
  infra: {publicIPv4: LO, baseDomain: 'good.test', certEmail: 'a@good.test', hasCfDnsToken: true},
  routes: names.map((name, i) => ({protocol: 'http' as const, router: `shop-app${i}`, rule: `Host(\`${name}\`)`, entryPoints: ['websecure'], backend: 'app', container: `shop-app${i}-1`, service: `app${i}`})),
  certNames: names,
  dns: ['--local=/good.test/', ...names.map((n) => `--host-record=${n},${LO}`)],
})

try {
  const times: number[] = []
  let findings = 0
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    const report = await diagnose({
      targets: [{local: lab.local, connect: async () => ({ssh: {target: 'root@lab:22', outcome: 'ok', durationMs: 0}, transport: localTransport()})}],
      cliVersion: VERSION,
      loadBundle: async () => lab.bundle,
      resolver: lab.dns.address,
      endpoints: lab.endpoints,
    })
    times.push(performance.now() - started)
    findings = report.machines[0]!.findings.length
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  console.log(`diagnose, 1 machine, 10 HTTPS routes, local transport, ${RUNS} runs (${findings} findings each)`)
  console.log(`  median ${median.toFixed(0)} ms   min ${times[0]!.toFixed(0)} ms   max ${times.at(-1)!.toFixed(0)} ms`)
  console.log(`  target 3000 ms → median is ${(median / 3000).toFixed(2)}× the budget`)
} finally {
  await lab.stop()
}
