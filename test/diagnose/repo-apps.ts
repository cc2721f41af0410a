/**
 * The machine diagnose's test-host tests walk: set up by the lab the way a user sets one up (context, pinned key,
 * set-infra, push-infra), the proxy the real Traefik issuing certificates from the ACME lab (Pebble over DNS-01
 * through the Cloudflare API stand-in), plus a repository daemon (network 2816) running busybox containers with
 * rediacc.* and traefik.* labels.
 */
import type {DiagnoseReport, Finding} from '../../src/diagnose/finding.js'
import {daemonSocketPath} from '../../src/layout/server.js'
import {copyImagesIntoRepoDaemon, type Lab, setUpMachine, type AcmeMachine} from '../lab/index.js'
import {renetBundle} from '../support/renet-bundle.js'
import {BUSYBOX_IMAGE, loadBusyboxImage, type TestHost} from '../testhost/index.js'

export const NETWORK_ID = 2816
export const DOMAIN = 'example.test'
/** The Cloudflare token the lab's stand-in accepts for the zone. */
export const CF_TOKEN = 'cf-token-diagnose-lab'

export async function sh(host: TestHost, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await host.exec(['sh', '-c', script], {timeoutMs})
  if (r.code !== 0) throw new Error(`${script} → exit ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`)
  return r.stdout
}

/** A renet bundle that reports an older version than this CLI, as an earlier release would. */
export function olderRenetBundle(version: string): Promise<Buffer> {
  return renetBundle(version)
}

/** Machine `m1` on IPv4 for DOMAIN with the ACME lab, pushed, and the repository daemon holding busybox. */
export async function setUpDiagnoseMachine(lab: Lab, host: TestHost): Promise<AcmeMachine> {
  await loadBusyboxImage(host)
  const machine = await setUpMachine(lab, host, {baseDomain: DOMAIN, ipv6: false, acme: {token: CF_TOKEN, zones: [DOMAIN]}})
  await copyImagesIntoRepoDaemon(host, NETWORK_ID, [BUSYBOX_IMAGE])
  return machine
}

/** `rdc diagnose --json …`: the report and the exit code. */
export async function diagnose(lab: Lab, args: string[]): Promise<{code: number; report: DiagnoseReport; findings: Finding[]}> {
  const r = await lab.cli(['diagnose', '--json', ...args]).catch((error: Error) => {
    throw new Error(`rdc diagnose printed no JSON: ${error.message}`)
  })
  if (r.json === undefined) throw new Error(`rdc diagnose printed no JSON (exit ${r.code}): ${r.stdout} ${r.stderr}`)
  const report = r.json as DiagnoseReport
  return {code: r.code, report, findings: report.machines.flatMap((m) => m.findings)}
}

/** Runs a docker command against the repository daemon inside the host. */
export function repoDocker(host: TestHost, args: string): Promise<string> {
  return sh(host, `DOCKER_HOST=unix://${daemonSocketPath(NETWORK_ID)} docker ${args}`)
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
export async function runApp(host: TestHost, app: AppSpec): Promise<void> {
  const labels = Object.entries(app.labels)
    .map(([k, v]) => `--label '${k}=${v}'`)
    .join(' ')
  const ip = serviceIpOf(app.slot)
  await repoDocker(
    host,
    `run -d --name ${app.name} --network host --restart no ${labels} ${BUSYBOX_IMAGE} sh -c 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${ip}:${app.listenPort} -h /www'`,
  )
}
