/**
 * A machine set up the way a user sets one up, for diagnose's test-host tests: the real CLI creates the context,
 * pins the host key, sets the infra settings and pushes; the proxy is the real Traefik, issuing certificates from
 * the ACME lab (Pebble over DNS-01 through the Cloudflare API stand-in); a repository daemon (network 2816) runs
 * busybox containers with rediacc.* and traefik.* labels.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DiagnoseReport, Finding} from '../../src/diagnose/finding.js'
import {startAcmeLab, type AcmeLab} from '../support/acme/index.js'
import {ensureBuilt, ROOT} from '../lab/cli.js'
import {renetBundle} from '../support/renet-bundle.js'
import {until} from '../support/wait.js'
import {acmeInfraFlags, untilCertificate, useZoneResolver, writeAcmeCaFile} from '../lab/acme.js'
import {BUSYBOX_IMAGE, loadBusyboxImage, loadTraefikImage, type TestHost} from '../testhost/index.js'

export const NETWORK_ID = 2816
export const DOMAIN = 'example.test'
/** The Cloudflare token the lab's stand-in accepts for the zone. */
export const CF_TOKEN = 'cf-token-diagnose-lab'
const REPO_SOCKET = `/var/run/rediacc/docker-${NETWORK_ID}.sock`

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export interface Lab {
  dir: string
  configPath: string
  rdc(args: string[], input?: string): Promise<CliRun>
  /** `rdc diagnose --json …`: the report and the exit code. */
  diagnose(args: string[]): Promise<{code: number; report: DiagnoseReport; findings: Finding[]}>
  /** Runs a docker command against the repository daemon inside the host. */
  repoDocker(args: string): Promise<string>
  /** The ACME lab the machine's `letsencrypt` resolver uses (Pebble's root verifies what it issued). */
  acme: AcmeLab
  /** Waits until Traefik (polling the route server every 5 s) lists the router. */
  untilTraefikHas(protocol: 'http' | 'tcp' | 'udp', router: string): Promise<void>
  /** Waits until Traefik serves a certificate from the ACME lab (not its default one) for each name. */
  untilCertificates(names: string[]): Promise<void>
  cleanup(): Promise<void>
}

export async function sh(host: TestHost, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await host.exec(['sh', '-c', script], {timeoutMs})
  if (r.code !== 0) throw new Error(`${script} → exit ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`)
  return r.stdout
}

/** The built CLI as a user runs it (bin/run.js), with its own context file. */
function runCli(configPath: string, args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
      cwd: ROOT,
      env: {...process.env, RDC_CONFIG: configPath, RDC_CONTEXT: '', RDC_MACHINE: '', NO_COLOR: '1'},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
    child.stdin.end(input ?? '')
  })
}

/** A renet bundle that reports an older version than this CLI, as an earlier release would. */
export function olderRenetBundle(version: string): Promise<Buffer> {
  return renetBundle(version)
}

/** Context, pinned machine `m1`, infra settings, the real Traefik with the ACME lab, push-infra, and the repository daemon. */
export async function setUpMachine(host: TestHost, opts: {tcpPorts?: number[]} = {}): Promise<Lab> {
  ensureBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'rdc-diag-th-'))
  const acme = await startAcmeLab({addresses: [host.peer, host.peer6], zones: [DOMAIN], token: CF_TOKEN})
  await useZoneResolver(host, acme)
  const caFile = writeAcmeCaFile(acme, join(dir, 'acme-ca.pem'))
  const configPath = join(dir, 'config.yaml')
  const rdc = async (args: string[], input?: string): Promise<CliRun> => runCli(configPath, args, input)
  const must = async (args: string[], input?: string): Promise<CliRun> => {
    const r = await rdc(args, input)
    if (r.code !== 0) throw new Error(`rdc ${args.join(' ')} → exit ${r.code}: ${r.stderr}${r.stdout}`)
    return r
  }
  await Promise.all([loadTraefikImage(host), loadBusyboxImage(host)])
  await must(['context', 'create', 'lab'])
  await must(['context', 'add-machine', 'm1', '--host', host.address, '--user', host.user, '--key', host.privateKeyPath, '--host-key', host.hostKey])
  await must([
    'context', 'set-infra', 'm1', '--public-ipv4', host.address, '--allow-private', '--base-domain', DOMAIN, '--cert-email', `admin@${DOMAIN}`,
    ...(opts.tcpPorts ? ['--tcp-ports', opts.tcpPorts.join(',')] : []),
    ...acmeInfraFlags(acme, host, caFile),
  ])
  await must(['context', 'set-infra', 'm1', '--cf-dns-token', '-'], `${CF_TOKEN}\n`)
  await must(['context', 'push-infra', 'm1'])

  await sh(host, `systemctl start rediacc-docker@${NETWORK_ID} && for i in $(seq 100); do DOCKER_HOST=unix://${REPO_SOCKET} docker version >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1`)
  await sh(host, `docker save ${BUSYBOX_IMAGE} | DOCKER_HOST=unix://${REPO_SOCKET} docker load -q`)

  const lab: Lab = {
    dir,
    configPath,
    acme,
    rdc,
    async diagnose(args) {
      const r = await rdc(['diagnose', '--json', ...args])
      let report: DiagnoseReport
      try {
        report = JSON.parse(r.stdout) as DiagnoseReport
      } catch {
        throw new Error(`rdc diagnose printed no JSON (exit ${r.code}): ${r.stdout} ${r.stderr}`)
      }
      return {code: r.code, report, findings: report.machines.flatMap((m) => m.findings)}
    },
    repoDocker: (args) => sh(host, `DOCKER_HOST=unix://${REPO_SOCKET} docker ${args}`),
    async untilTraefikHas(protocol, router) {
      await until(async () => {
        const r = await host.exec(['curl', '-fsS', `http://127.0.0.1:8082/api/${protocol}/routers`])
        return r.code === 0 && r.stdout.includes(`"${router}@http"`)
      }, `Traefik to load ${protocol} router ${router}`)
    },
    async untilCertificates(names) {
      for (const name of names) await untilCertificate(host.address, name)
    },
    async cleanup() {
      await acme.stop()
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return lab
}

export interface AppSpec {
  name: string
  /** Slot in the repository's addresses: 127.0.11.(slot+2). */
  slot: number
  /** Where the app really listens. */
  listenPort: number
  labels: Record<string, string>
}

export function serviceIpOf(slot: number): string {
  return `127.0.11.${slot + 2}`
}

/** The rediacc.* labels renet compose gives a service's container. */
export function rediaccLabels(service: string, slot: number): Record<string, string> {
  return {'rediacc.service_name': service, 'rediacc.service_ip': serviceIpOf(slot), 'rediacc.network_id': String(NETWORK_ID)}
}

/** A busybox httpd on the service's address, on host networking in the repository daemon. */
export async function runApp(lab: Lab, app: AppSpec): Promise<void> {
  const labels = Object.entries(app.labels)
    .map(([k, v]) => `--label '${k}=${v}'`)
    .join(' ')
  const ip = serviceIpOf(app.slot)
  await lab.repoDocker(
    `run -d --name ${app.name} --network host --restart no ${labels} ${BUSYBOX_IMAGE} sh -c 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${ip}:${app.listenPort} -h /www'`,
  )
}
