/**
 * `npm run bench:testhost`: what test hosts cost. Prints the cold image build time (or the cached build's
 * recorded time), warm start of 1 and of 3 hosts in parallel (median of ROUNDS, each from no daemon running to
 * every host "running" and answering SSH), their ratio against the ≤ 1.5 target, and teardown times.
 * Rounds alternate 1 and 3 hosts so background load hits both alike; the minimum is shown beside the median
 * because on a shared 2-core machine other work inflates single rounds. Runs as its own "bench" instance, so it never touches the suite's or a person's hosts.
 */
import {availableParallelism, loadavg} from 'node:os'

import {ensureImageCache} from '../test/testhost/image.js'
import {startTestHostSession, stopTestHosts} from '../test/testhost/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '5')

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const cpus = availableParallelism()
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const value = await fn()
  return [value, performance.now() - t]
}

async function startStop(n: number): Promise<{start: number; stop: number}> {
  const [, start] = await timed(() => startTestHostSession(n, {role: 'bench'}))
  const [, stop] = await timed(() => stopTestHosts())
  return {start, stop}
}

async function main(): Promise<void> {
  console.log(`machine load average (1/5/15 min) at the start: ${loadavg().map((x) => x.toFixed(2)).join(' / ')} on ${cpus} cores`)
  const [image, buildMs] = await timed(() => ensureImageCache((l) => console.log(`  ${l}`)))
  console.log(
    image.built
      ? `cold image build (debootstrap + pack): ${seconds(buildMs)}`
      : `image: cached (${image.tarPath}), built ${image.meta.builtAt} in ${image.meta.buildSeconds} s`,
  )

  // First start of this instance imports the image into its private dockerd (kept for later runs): not "warm".
  const [, primeMs] = await timed(() => startStop(1))
  console.log(`first start of the bench instance (may include docker import of the image): ${seconds(primeMs)}`)

  const one: Array<{start: number; stop: number}> = []
  const three: Array<{start: number; stop: number}> = []
  for (let i = 0; i < ROUNDS; i++) {
    one.push(await startStop(1))
    three.push(await startStop(3))
  }

  const starts1 = one.map((r) => r.start)
  const starts3 = three.map((r) => r.start)
  const list = (xs: number[]) => xs.map(seconds).join(', ')
  console.log(`warm start, 1 host:              median ${seconds(median(starts1))}, min ${seconds(Math.min(...starts1))}  (${list(starts1)})`)
  console.log(`warm start, 3 hosts in parallel: median ${seconds(median(starts3))}, min ${seconds(Math.min(...starts3))}  (${list(starts3)})`)
  const ratio = median(starts3) / median(starts1)
  const ratioMin = Math.min(...starts3) / Math.min(...starts1)
  console.log(`ratio 3 hosts / 1 host:          ${ratio.toFixed(2)} of medians, ${ratioMin.toFixed(2)} of minimums  (target ≤ 1.50: ${ratio <= 1.5 ? 'met' : 'missed'} on medians)`)
  console.log(`teardown, 1 host:                median ${seconds(median(one.map((r) => r.stop)))}`)
  console.log(`teardown, 3 hosts:               median ${seconds(median(three.map((r) => r.stop)))}`)
  console.log(`machine load average (1/5/15 min) at the end: ${loadavg().map((x) => x.toFixed(2)).join(' / ')} on ${cpus} cores`)
}

main().catch(async (error: unknown) => {
  await stopTestHosts()
  console.error(error)
  process.exit(1)
})
