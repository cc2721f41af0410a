import {Secret} from '../../config/secret.js'
import type {Machine} from '../../config/schema.js'
import {ConflictError, RdcError, type RdcErrorJson, RemoteError, UsageError} from '../../errors.js'
import {entryPointsFor} from '../../net/entrypoints.js'
import {applyPlan} from './apply.js'
import {defaultServerCommands, type ServerCommands} from './server-commands.js'
import {maskEnvContent, unifiedDiff} from './diff.js'
import type {PortConflict} from './ports.js'
import {readRemoteState} from './probe.js'
import type {FileAction, Plan, Prerequisite, RemoteState, Service} from './types.js'
import {buildPlan, probePaths, relocate} from './plan.js'
import type {Transport} from '../../remote/transport.js'
import {PROXY_COMPOSE_PATH, PUSH_PENDING_PATH} from '../../layout/server.js'
import {mapLimit} from '../../map-limit.js'
import {renderMachineInfra} from '../render/render.js'
import type {RenderedSet} from '../render/rendered-file.js'

export interface PushTarget {
  machineName: string
  machine: Machine
  /** Tests only: relocate the server layout under this folder. */
  root?: string
  /** Tests only: systemd/Docker stand-ins. */
  commands?: Partial<ServerCommands>
}

export interface PushOptions {
  targets: PushTarget[]
  renet: {bundle: Buffer; version: string}
  /** Opens a host-key-verified connection to a machine. */
  connect: (target: PushTarget) => Promise<Transport>
  /** From RDC_CF_DNS_TOKEN: used for machines whose infra has no token stored. */
  cfDnsApiToken?: Secret
  /**
   * Checks the machine's Cloudflare token against Cloudflare (src/dns/token-check.ts) once the server passed its
   * checks and before anything changes on it; a refusal fails the machine. Absent: no check (--no-token-check, --dry-run).
   */
  checkToken?: (target: PushTarget, token: Secret) => Promise<unknown>
  dryRun?: boolean
  installPrereqs?: boolean
  concurrency?: number
  onProgress?: (machineName: string, message: string) => void
  /** Called as each machine finishes. */
  onResult?: (result: MachinePushResult) => void
}

export interface MachinePushResult {
  machine: string
  status: 'unchanged' | 'applied' | 'planned' | 'failed'
  files: {path: string; action: FileAction; role: string; bytes: number}[]
  /** Services acted on (or, with --dry-run, that would be) and why. */
  services: Partial<Record<Service, string>>
  filesUploaded: number
  bytesUploaded: number
  durationMs: number
  conflicts?: PortConflict[]
  /** --dry-run: unified diff of every file that would change, secrets masked. */
  diff?: string
  rolledBack?: boolean
  /** Things that did not stop the push but will bite later (e.g. no Cloudflare token: no certificates). */
  warnings?: string[]
  error?: RdcErrorJson
}

export interface PushSummary {
  ok: boolean
  dryRun: boolean
  machines: MachinePushResult[]
}

const APT_PACKAGES: Record<Exclude<Prerequisite, 'systemd'>, string> = {
  docker: 'docker.io',
  compose: 'docker-compose',
  node: 'nodejs',
  curl: 'curl',
}

export function installCommand(missing: readonly Prerequisite[]): string[] {
  const pkgs = missing.filter((m): m is Exclude<Prerequisite, 'systemd'> => m !== 'systemd').map((m) => APT_PACKAGES[m])
  return ['sh', '-c', 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"', 'rdc-install', ...pkgs]
}

function prerequisiteError(machineName: string, missing: readonly Prerequisite[], installed: boolean): RdcError {
  if (missing.includes('systemd')) {
    return new UsageError(`${machineName} does not run systemd; the route server and per-repository daemons need it.`, {
      field: 'machine',
      suggestion: 'Use a Debian or Ubuntu server booted with systemd.',
    })
  }

  const pkgs = missing.map((m) => APT_PACKAGES[m as Exclude<Prerequisite, 'systemd'>])
  const nodeNote = missing.includes('node') ? ' Node.js 18 or newer is needed; if the distribution ships an older one, install it from NodeSource.' : ''
  return new UsageError(`${machineName} lacks ${missing.join(', ')}${installed ? ' even after installing packages' : ''}.${nodeNote}`, {
    field: 'install-prereqs',
    suggestion: `Run again with --install-prereqs, or on the server: sudo apt-get install -y ${pkgs.join(' ')}`,
  })
}

/** A machine's failure as its JSON shows it; anything that is not ours yet happened on the way to or on the server. */
function asRdcError(err: unknown): RdcError {
  return err instanceof RdcError ? err : new RemoteError((err as Error)?.message ?? String(err))
}

function fileSummary(plan: Plan): MachinePushResult['files'] {
  return plan.files.map((f) => ({path: f.path, action: f.action, role: f.role, bytes: f.bytes}))
}

async function dryRunDiff(t: Transport, plan: Plan, rendered: RenderedSet, root: string | undefined): Promise<string> {
  let out = ''
  for (const f of plan.files) {
    if (f.action !== 'create' && f.action !== 'update') continue
    if (f.kind === 'link') {
      out += `~ ${f.path} -> ${f.localHash.slice('link:'.length)}${f.remoteHash ? ` (was ${f.remoteHash.slice('link:'.length)})` : ''}\n`
      continue
    }

    const r = rendered.files.find((x) => relocate(root, x.path) === f.path)!
    if (f.role === 'program') {
      // The bundle is a megabyte of generated code: a line diff would say nothing useful.
      out += `~ ${f.path}: ${f.action === 'create' ? 'new' : 'changed'} (${f.bytes} bytes)\n`
      continue
    }

    const before = f.action === 'update' ? ((await t.get(f.path))?.toString('utf8') ?? null) : null
    const mask = (s: string): string => (r.secret ? maskEnvContent(s) : s)
    const diff = unifiedDiff(f.path, before === null ? null : mask(before), mask(String(r.content)))
    // Masked, a changed token looks unchanged: say so rather than print an empty diff.
    out += diff || `~ ${f.path}: secret values changed (not shown)\n`
  }

  return out
}

/**
 * Without a Cloudflare token Traefik still starts and serves, but its DNS-01 challenge cannot run, so no
 * certificate is ever issued: worth saying on every push, not worth refusing one (the token may come later).
 */
export function missingTokenWarning(machineName: string, token: Secret | undefined): string | undefined {
  if (token) return undefined
  return `${machineName} has no Cloudflare token (cfDnsApiToken or RDC_CF_DNS_TOKEN): Let's Encrypt certificates cannot be issued until one is set (rdc context set-infra ${machineName} --cf-dns-token …).`
}

/** One machine: render, connect, probe, check, plan, then diff (dry run) or apply. Never throws. */
export async function pushMachine(target: PushTarget, options: PushOptions): Promise<MachinePushResult> {
  const started = Date.now()
  const name = target.machineName
  const progress = (m: string): void => options.onProgress?.(name, m)
  const result: MachinePushResult = {machine: name, status: 'failed', files: [], services: {}, filesUploaded: 0, bytesUploaded: 0, durationMs: 0}
  let t: Transport | undefined
  try {
    const infra = target.machine.infra ?? {}
    const input = {
      ...infra,
      machineName: name,
      cfDnsApiToken: infra.cfDnsApiToken ? new Secret(infra.cfDnsApiToken) : options.cfDnsApiToken,
      renetBundle: options.renet.bundle,
      renetVersion: options.renet.version,
    }
    const warning = missingTokenWarning(name, input.cfDnsApiToken)
    if (warning) result.warnings = [warning]
    const rendered = renderMachineInfra(input)
    progress('connecting')
    t = await options.connect(target)
    const at = (p: string): string => relocate(target.root, p)
    const probeCommands = {...defaultServerCommands(at(PROXY_COMPOSE_PATH), 'none'), ...target.commands}
    const probe = (): Promise<RemoteState> => readRemoteState(t!, at(PUSH_PENDING_PATH), probeCommands, probePaths(rendered, target.root))
    progress('checking the server')
    let state = await probe()
    let plan = buildPlan({machine: name, rendered, state, entryPoints: entryPointsFor(input), root: target.root, commands: target.commands})
    if (plan.missingPrerequisites.length > 0 && options.installPrereqs && !plan.missingPrerequisites.includes('systemd') && !options.dryRun) {
      progress(`installing ${plan.missingPrerequisites.join(', ')}`)
      const r = await t.exec(installCommand(plan.missingPrerequisites), {timeoutMs: 15 * 60_000})
      if (r.code !== 0) throw new RemoteError(`Installing prerequisites on ${name} failed (exit ${r.code}).`, {host: name, command: 'apt-get', exitCode: r.code, stderr: r.stderr.slice(-2000)})
      state = await probe()
      plan = buildPlan({machine: name, rendered, state, entryPoints: entryPointsFor(input), root: target.root, commands: target.commands})
      if (plan.missingPrerequisites.length > 0) throw prerequisiteError(name, plan.missingPrerequisites, true)
    } else if (plan.missingPrerequisites.length > 0) {
      throw prerequisiteError(name, plan.missingPrerequisites, false)
    }

    result.files = fileSummary(plan)
    result.services = plan.reasons
    if (plan.conflicts.length > 0) {
      result.conflicts = plan.conflicts
      const list = plan.conflicts.map((c) => `${c.proto}/${c.port} (${c.by}) is held by ${c.holder}`).join('; ')
      const resolved = plan.conflicts.some((c) => c.process === 'systemd-resolve')
      throw new ConflictError(`Ports the proxy needs on ${name} are taken: ${list}. Nothing was changed.`, {
        suggestion: resolved
          ? 'systemd-resolved holds port 53: set DNSStubListener=no in /etc/systemd/resolved.conf and restart it, then push again.'
          : 'Stop or move the listed services (or remove those ports from the infra settings), then push again.',
      })
    }

    if (options.dryRun) {
      progress('computing the diff')
      result.diff = await dryRunDiff(t, plan, rendered, target.root)
      result.status = 'planned'
      return result
    }

    if (options.checkToken && input.cfDnsApiToken) {
      progress('checking the Cloudflare token')
      await options.checkToken(target, input.cfDnsApiToken)
    }

    if (plan.noop) {
      result.status = 'unchanged'
      return result
    }

    const applied = await applyPlan(t, plan, {host: name, onStep: (step, phase) => phase === 'start' && progress(step.label)})
    result.filesUploaded = applied.filesUploaded
    result.bytesUploaded = applied.bytesUploaded
    if (!applied.ok) {
      result.rolledBack = applied.rolledBack
      const restored = applied.rollbackFailures.length === 0 ? 'the previous files were restored' : `rollback incomplete (${applied.rollbackFailures.join(', ')})`
      throw new RemoteError(`${applied.error?.message ?? 'A step failed'}; ${restored}.`, applied.error?.details ?? {host: name}, {
        suggestion: applied.error?.suggestion ?? `Check the service on the server (journalctl -u rediacc-router, docker logs rediacc-proxy), then push again.`,
      })
    }

    result.status = 'applied'
    return result
  } catch (err) {
    result.status = 'failed'
    result.error = asRdcError(err).toJSON()
    return result
  } finally {
    result.durationMs = Date.now() - started
    await t?.close().catch(() => undefined)
  }
}

/** Every machine, `concurrency` at a time; one machine's failure never stops the others. */
export async function pushInfra(options: PushOptions): Promise<PushSummary> {
  const results = await mapLimit(options.targets, options.concurrency ?? 4, async (target) => {
    const result = await pushMachine(target, options)
    options.onResult?.(result)
    return result
  })
  return {ok: results.every((r) => r.status !== 'failed'), dryRun: Boolean(options.dryRun), machines: results}
}
