/**
 * npm run bench:push — push-infra's cost: first push, no-op push, and 1 vs 3 machines in one run.
 * Machines are real SSH servers (OpenSSH on 127.0.0.1, one per machine) with the server layout under a temp
 * root and file-based systemd/Docker stand-ins, so the figures are SSH, SFTP and the remote scripts — what a
 * push costs before any service restarts. Targets: no-op ≤ 1.5 s per machine with 0 bytes of file content sent;
 * 3 machines ≤ 1.5 × one machine's time.
 */
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {connectLocalSshd, type LocalSshd, startLocalSshd} from '../test/support/local-sshd.js'
import {Secret} from '../src/config/secret.js'
import {loadRenetBundle} from '../src/infra/push-bundle.js'
import {type PushSummary, type PushTarget, pushInfra} from '../src/infra/push.js'
import type {ServerCommands} from '../src/remote/plan-commands.js'
import {SshTransport} from '../src/remote/transport.js'

const BASE = '/tmp/rdc-push-bench'
const PORTS = [23_481, 23_482, 23_483]

function stand_ins(root: string): Partial<ServerCommands> {
  const f = join(root, 'fake')
  return {
    systemdProbe: 'echo running',
    listenersProbe: 'true',
    routerEnabledProbe: `cat ${f}/enabled 2>/dev/null || echo disabled`,
    routerActiveProbe: `cat ${f}/active 2>/dev/null || echo inactive`,
    proxyRunningProbe: `cat ${f}/proxy 2>/dev/null || echo missing`,
    daemonReload: ['true'],
    enableRouter: ['sh', '-c', `echo enabled > ${f}/enabled`],
    restartRouter: ['sh', '-c', `echo active > ${f}/active`],
    recreateProxy: ['sh', '-c', `echo true > ${f}/proxy`],
    waitRouter: ['true'],
    waitProxy: ['true'],
  }
}

async function main(): Promise<void> {
  rmSync(BASE, {recursive: true, force: true})
  const renet = await loadRenetBundle()
  const servers: LocalSshd[] = []
  try {
    for (const [i, port] of PORTS.entries()) servers.push(await startLocalSshd({root: join(BASE, `sshd-${i}`), port}))
    const target = (i: number, round: string): PushTarget => {
      const root = join(BASE, round, `m${i}`)
      mkdirSync(join(root, 'fake'), {recursive: true})
      return {
        machineName: `m${i}`,
        machine: {host: '127.0.0.1', user: 'root', port: PORTS[i]!, infra: {publicIPv4: '203.0.113.50', cfDnsApiToken: 'bench-token', tcpPorts: [25, 993]}},
        root,
        commands: stand_ins(root),
      }
    }

    const push = async (targets: PushTarget[]): Promise<{ms: number; summary: PushSummary}> => {
      const t0 = performance.now()
      const summary = await pushInfra({
        targets,
        renet,
        cfDnsApiToken: new Secret('unused'),
        concurrency: 4,
        connect: async (t) => new SshTransport(await connectLocalSshd(servers[Number(t.machineName.slice(1))]!), t.machineName),
      })
      const failed = summary.machines.filter((m) => m.status === 'failed')
      if (failed.length > 0) throw new Error(JSON.stringify(failed.map((m) => m.error)))
      return {ms: performance.now() - t0, summary}
    }

    const bytes = (s: PushSummary): number => s.machines.reduce((n, m) => n + m.bytesUploaded, 0)
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const RUNS = 5

    const first1: number[] = []
    const first3: number[] = []
    const noop1: number[] = []
    const noop3: number[] = []
    let firstBytes = 0
    let noopBytes = 0
    for (let r = 0; r < RUNS; r++) {
      const one = await push([target(0, `one-${r}`)])
      first1.push(one.ms)
      firstBytes = bytes(one.summary)
      const again = await push([target(0, `one-${r}`)])
      noop1.push(again.ms)
      noopBytes += bytes(again.summary)
      const three = await push([0, 1, 2].map((i) => target(i, `three-${r}`)))
      first3.push(three.ms)
      const three2 = await push([0, 1, 2].map((i) => target(i, `three-${r}`)))
      noop3.push(three2.ms)
      noopBytes += bytes(three2.summary)
    }

    const f = (ms: number): string => `${ms.toFixed(0).padStart(6)} ms`
    console.log(`push-infra bench (median of ${RUNS}; renet bundle ${(renet.bundle.length / 1024).toFixed(0)} KiB; loopback OpenSSH, stand-in services)`)
    console.log(`  first push, 1 machine   ${f(median(first1))}   ${firstBytes} bytes of file content`)
    console.log(`  no-op push, 1 machine   ${f(median(noop1))}   ${noopBytes} bytes of file content over all no-op runs (target 0)`)
    console.log(`  first push, 3 machines  ${f(median(first3))}   ratio to 1 machine ${(median(first3) / median(first1)).toFixed(2)} (target ≤ 1.5)`)
    console.log(`  no-op push, 3 machines  ${f(median(noop3))}   ratio to 1 machine ${(median(noop3) / median(noop1)).toFixed(2)} (target ≤ 1.5)`)
    console.log(`  no-op per machine       ${f(median(noop1))}   target ≤ 1500 ms: ${median(noop1) <= 1500 ? 'met' : 'MISSED'}`)
  } finally {
    for (const s of servers) await s.stop()
    rmSync(BASE, {recursive: true, force: true})
  }
}

await main()
