// Profiling harness for the route server's cold build: N builds of 1,000 synthetic containers, each with a fresh
// builder, then the body. Profile the code as the server runs it (bundled, not through tsx):
//   npx esbuild bench/router-profile.ts --bundle --platform=node --format=esm --target=node18 --outfile=/tmp/p.mjs
//   node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/p.mjs 100
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {ConfigBuilder} from '../src/renet/router/build.js'
import {PortAllocator} from '../src/renet/router/ports.js'
import {traefikBody} from '../src/renet/router/body.js'
import {syntheticDaemons} from './router-synthetic.js'

const SETTINGS = {
  baseDomain: 'example.com',
  entrypoints: ['web', 'websecure', 'websecure-v6', 'tcp-5432', ...Array.from({length: 11}, (_, i) => `tcp-${10_000 + i}`), 'udp-53'],
  httpsEntrypoints: ['websecure', 'websecure-v6'],
  certResolver: 'letsencrypt',
}
const daemons = syntheticDaemons()
const state = mkdtempSync(join(tmpdir(), 'rdc-router-prof-'))
const times: number[] = []
const cpu: number[] = []
const buildOnly: number[] = []
for (let i = 0; i < Number(process.argv[2] ?? 100); i++) {
  const builder = new ConfigBuilder(SETTINGS, new PortAllocator({stateDir: state, ranges: {tcp: {from: 10_000, to: 10_010}, udp: null}, graceMs: 60_000}))
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = builder.build(daemons)
  buildOnly.push(performance.now() - t0)
  traefikBody(r.config)
  times.push(performance.now() - t0)
  const c1 = process.cpuUsage(c0)
  cpu.push((c1.user + c1.system) / 1000)
}
rmSync(state, {recursive: true, force: true})
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log(`build+render wall median ${median(times).toFixed(2)} ms (min ${Math.min(...times).toFixed(2)}), CPU median ${median(cpu).toFixed(2)} ms; build only median ${median(buildOnly).toFixed(2)} ms`)
