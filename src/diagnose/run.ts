import {mapLimit} from '../map-limit.js'
import {diagnoseFacts, type MachineFacts} from './assemble.js'
import type {LocalFacts, SshFacts} from './facts.js'
import {fail, summarise, type DiagnoseReport, type Finding, type MachineReport} from './finding.js'
import {pushInfra} from './fixes.js'
import type {ServerEndpoints} from './gather/endpoints.js'
import {gatherServer} from './gather/server.js'
import {ParseError} from './parse/router.js'
import type {ExecTransport} from './transport.js'
import type {CloudflareDnsView} from '../dns/diagnose-view.js'

export interface MachineTarget {
  local: LocalFacts
  /** Opens the connection (pinned host key checked) and times it; a failure is reported in SshFacts, not thrown. */
  connect: () => Promise<{ssh: SshFacts; transport?: ExecTransport}>
  /** What the zone at Cloudflare holds for names (src/dns/diagnose-view.ts): tells why a name does not resolve right. */
  cloudflare?: (names: string[]) => Promise<CloudflareDnsView>
}

export interface DiagnoseOptions {
  targets: MachineTarget[]
  cliVersion: string
  loadBundle: () => Promise<Buffer>
  resolver?: string
  endpoints?: ServerEndpoints
  /** Machines walked at once (default 8). */
  concurrency?: number
  now?: () => Date
}

async function diagnoseOne(target: MachineTarget, o: DiagnoseOptions): Promise<MachineReport> {
  const started = performance.now()
  const now = o.now ?? (() => new Date())
  const facts: MachineFacts = {local: target.local}
  const extra: Finding[] = []
  const {ssh, transport} = await target.connect()
  facts.ssh = ssh
  if (transport !== undefined) {
    try {
      const g = await gatherServer({
        transport,
        local: target.local,
        cliVersion: o.cliVersion,
        loadBundle: o.loadBundle,
        ...(o.resolver === undefined ? {} : {resolver: o.resolver}),
        ...(o.endpoints === undefined ? {} : {endpoints: o.endpoints}),
      })
      facts.server = g.server
      facts.routes = g.routes
      facts.wildcards = g.wildcards
    } catch (error) {
      const message = (error as Error).message
      extra.push(
        error instanceof ParseError
          ? fail('versions', `cannot run the probe on the server: ${message}`, `the server needs Node ≥ 18 and renet: ${pushInfra(target.local.machine)}`)
          : fail('ssh', `the connection failed while reading the server: ${message}`, 're-run; if it persists, check the network and sshd on the server'),
      )
    } finally {
      await transport.close?.()
    }
  }
  let findings = [...diagnoseFacts(facts, now()), ...extra]
  const unresolved = findings.filter((f) => f.hop === 'dns' && f.status !== 'ok' && f.subject !== undefined).map((f) => f.subject!)
  if (target.cloudflare && unresolved.length > 0) {
    const {withCloudflareView} = await import('../dns/diagnose-view.js')
    findings = withCloudflareView(findings, await target.cloudflare(unresolved), target.local)
  }
  return {machine: target.local.machine, findings, durationMs: Math.round(performance.now() - started)}
}

/** Walks every machine (several at once) and summarises; the caller turns `ok: false` into exit code 1. */
export async function diagnose(o: DiagnoseOptions): Promise<DiagnoseReport> {
  return summarise(await mapLimit(o.targets, o.concurrency ?? 8, (target) => diagnoseOne(target, o)))
}
