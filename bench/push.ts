/**
 * npm run bench:push — what `rdc context push-infra` costs on real servers: first push, no-op push, and 1 vs 3
 * machines in one command. The machines are test hosts (systemd + sshd + Docker, each with its own address; the
 * proxy is the real Traefik of push-infra's default image) and every push runs the built CLI as
 * a user does, so the figures include Node's start, SSH, SFTP, the remote scripts, systemd and docker-compose.
 * Between rounds the hosts are reset to bare (services stopped, files removed) so every "first push" is one.
 * Targets: no-op ≤ 1.5 s per machine with 0 bytes of file content sent; 3 machines ≤ 1.5 × one machine's time.
 */
import {loadavg} from 'node:os'

import {addMachine, ensureBuilt, type Lab, newLab} from '../test/lab/index.js'
import {loadTraefikImage, startTestHostSession, stopTestHosts, type TestHost} from '../test/testhost/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3')

const RESET = [
  'systemctl disable --now rediacc-router 2>/dev/null',
  'docker rm -f rediacc-proxy >/dev/null 2>&1',
  'rm -rf /opt/rediacc /etc/rediacc /usr/lib/rediacc /usr/bin/renet /etc/systemd/system/rediacc-router.service /etc/systemd/system/rediacc-docker@.service /var/lib/rediacc/push /var/lib/rediacc/router',
  'systemctl daemon-reload',
].join('; ')

async function rdc(lab: Lab, args: string[]): Promise<any> {
  const r = await lab.cli(args)
  if (r.code !== 0) throw new Error(`rdc ${args.join(' ')} exited ${r.code}: ${r.stdout}\n${r.stderr}`)
  return args.includes('--json') ? r.json : r.stdout
}

async function push(lab: Lab, machines: string[]): Promise<{ms: number; bytes: number; files: number; statuses: string[]}> {
  const t0 = performance.now()
  const summary = await rdc(lab, ['context', 'push-infra', ...machines, '--no-token-check', '--json'])
  const ms = performance.now() - t0
  const ms_ = summary.machines as {status: string; bytesUploaded: number; filesUploaded: number}[]
  return {ms, bytes: ms_.reduce((n, m) => n + m.bytesUploaded, 0), files: ms_.reduce((n, m) => n + m.filesUploaded, 0), statuses: ms_.map((m) => m.status)}
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const f = (ms: number): string => `${ms.toFixed(0).padStart(6)} ms`

async function main(): Promise<void> {
  ensureBuilt()
  const lab = newLab()
  try {
    const {hosts} = await startTestHostSession(3, {role: 'bench'})
    await Promise.all(hosts.map((h) => loadTraefikImage(h)))
    await rdc(lab, ['context', 'create', 'bench'])
    for (const [i, h] of hosts.entries()) {
      await addMachine(lab, h, {name: `m${i}`, ipv6: false, baseDomain: false, infra: ['--cf-dns-token', 'bench-token', '--no-token-check', '--tcp-ports', '25,993']})
    }

    const reset = (hs: TestHost[]) => Promise.all(hs.map((h) => h.exec(RESET)))
    const one = ['m0']
    const three = ['m0', 'm1', 'm2']
    const first1: number[] = []
    const noop1: number[] = []
    const first3: number[] = []
    const noop3: number[] = []
    let firstBytes = 0
    let firstFiles = 0
    let noopBytes = 0
    let noopFiles = 0
    for (let r = 0; r < ROUNDS; r++) {
      await reset(hosts)
      const a = await push(lab, one)
      if (a.statuses.join() !== 'applied') throw new Error(`first push: ${a.statuses.join()}`)
      first1.push(a.ms)
      firstBytes = a.bytes
      firstFiles = a.files
      const b = await push(lab, one)
      if (b.statuses.join() !== 'unchanged') throw new Error(`no-op push: ${b.statuses.join()}`)
      noop1.push(b.ms)
      noopBytes += b.bytes
      noopFiles += b.files
      await reset(hosts)
      const c = await push(lab, three)
      if (c.statuses.join() !== 'applied,applied,applied') throw new Error(`first push x3: ${c.statuses.join()}`)
      first3.push(c.ms)
      const d = await push(lab, three)
      if (d.statuses.join() !== 'unchanged,unchanged,unchanged') throw new Error(`no-op push x3: ${d.statuses.join()}`)
      noop3.push(d.ms)
      noopBytes += d.bytes
      noopFiles += d.files
    }

    console.log(`push-infra bench on test hosts (median of ${ROUNDS}; built CLI per push, Node start included; load average ${loadavg().map((x) => x.toFixed(1)).join('/')})`)
    console.log(`  first push, 1 machine   ${f(median(first1))}   ${firstFiles} files, ${firstBytes} bytes of file content`)
    console.log(`  no-op push, 1 machine   ${f(median(noop1))}   ${noopFiles} files, ${noopBytes} bytes of file content over all no-op pushes (target 0)`)
    console.log(`  first push, 3 machines  ${f(median(first3))}   ratio to 1 machine ${(median(first3) / median(first1)).toFixed(2)} (target ≤ 1.5)`)
    console.log(`  no-op push, 3 machines  ${f(median(noop3))}   ratio to 1 machine ${(median(noop3) / median(noop1)).toFixed(2)} (target ≤ 1.5)`)
    console.log(`  no-op per machine       ${f(median(noop1))}   target ≤ 1500 ms: ${median(noop1) <= 1500 ? 'met' : 'MISSED'}`)
    console.log(`  all rounds (ms): first1 ${first1.map((x) => x.toFixed(0)).join(' ')} | noop1 ${noop1.map((x) => x.toFixed(0)).join(' ')} | first3 ${first3.map((x) => x.toFixed(0)).join(' ')} | noop3 ${noop3.map((x) => x.toFixed(0)).join(' ')}`)
  } finally {
    await stopTestHosts()
    lab.cleanup()
  }
}

await main()
