import type {Context} from '../config/schema.js'
import {NotFoundError, UsageError} from '../errors.js'
import {Secret} from '../config/secret.js'
import {suggestName} from '../config/did-you-mean.js'
import {parseResolver} from './dns.js'
import type {DiagnoseReport} from './finding.js'
import {diagnose, type MachineTarget} from './run.js'
import {localFactsFor, sshFactsFromError} from './targets.js'
import type {ExecTransport} from './transport.js'

export interface DiagnoseCommandOptions {
  /** -m, as given (empty = see machinesToWalk). */
  machines: string[]
  host?: string
  repo?: string
  resolver?: string
  configPath?: string
  contextName?: string
  /** Per SSH connection. */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/**
 * Which machines a walk covers: those given with -m; else the machine of --repo; else RDC_MACHINE or the project
 * config's machine; else every machine of the context.
 */
export function machinesToWalk(context: Context, o: {machines: string[]; repo?: string; defaultMachine?: string}): string[] {
  const known = Object.keys(context.machines)
  let names: string[]
  if (o.machines.length > 0) names = [...new Set(o.machines)]
  else if (o.repo !== undefined && context.repositories[o.repo] !== undefined) names = [context.repositories[o.repo]!.machine]
  else if (o.defaultMachine) names = [o.defaultMachine]
  else names = known
  if (names.length === 0) {
    throw new UsageError('The context has no machines to diagnose.', {field: 'machine', suggestion: 'Add one: rdc context add-machine <name> --host <address> --user <user>'})
  }
  for (const n of names) {
    if (context.machines[n] === undefined) {
      throw new NotFoundError(`No machine named "${n}" in the context.`, {
        suggestion: suggestName(n, known, 'machine', `Add it: rdc context add-machine ${n} --host <address> --user <user>`),
      })
    }
  }
  return names
}

/** What `rdc diagnose` does after parsing its flags: resolve the context, connect to each machine, walk it. */
export async function runDiagnose(o: DiagnoseCommandOptions): Promise<DiagnoseReport> {
  const env = o.env ?? process.env
  if (o.resolver !== undefined) parseResolver(o.resolver)
  const {resolveContext} = await import('../config/resolve.js')
  const {findProjectConfig} = await import('../config/project.js')
  const {context} = await resolveContext({configPath: o.configPath, context: o.contextName})
  if (o.repo !== undefined && context.repositories[o.repo] === undefined) {
    throw new NotFoundError(`No repository named "${o.repo}" in the context.`, {
      suggestion: suggestName(o.repo, Object.keys(context.repositories), 'repository', 'List them: rdc context show'),
    })
  }
  const defaultMachine = env.RDC_MACHINE || (o.machines.length === 0 ? (await findProjectConfig())?.machine : undefined)
  const names = machinesToWalk(context, {machines: o.machines, ...(o.repo === undefined ? {} : {repo: o.repo}), ...(defaultMachine ? {defaultMachine} : {})})
  const {loadRenetBundle} = await import('../infra/push/bundle.js')
  let bundle: Promise<{bundle: Buffer; version: string}> | undefined
  const renet = (): Promise<{bundle: Buffer; version: string}> => (bundle ??= loadRenetBundle())
  const cliVersion = (await renet()).version

  const targets: MachineTarget[] = names.map((name) => {
    const machine = context.machines[name]!
    return {
      local: localFactsFor({
        machineName: name,
        machine,
        repositories: context.repositories,
        ...(o.host === undefined ? {} : {askedHost: o.host}),
        ...(o.repo === undefined ? {} : {askedRepo: o.repo}),
        env,
      }),
      connect: () => connectTarget(name, machine, context, o.timeoutMs ?? 10_000),
      ...cloudflareLookup(name, machine, env),
    }
  })
  return diagnose({targets, cliVersion, loadBundle: async () => (await renet()).bundle, ...(o.resolver === undefined ? {} : {resolver: o.resolver})})
}

/** Cloudflare's view for the DNS hop, when the machine has a token (RDC_CF_DNS_TOKEN first, as rdc dns takes it). */
function cloudflareLookup(name: string, machine: Context['machines'][string], env: NodeJS.ProcessEnv): Pick<MachineTarget, 'cloudflare'> {
  const token = env.RDC_CF_DNS_TOKEN || machine.infra.cfDnsApiToken
  if (!token) return {}
  let lookup: NonNullable<MachineTarget['cloudflare']> | undefined
  return {
    cloudflare: async (names) => {
      const {cloudflareDnsLookup} = await import('../dns/diagnose-view.js')
      lookup ??= cloudflareDnsLookup({machine: name, infra: machine.infra, token: new Secret(token)})
      return lookup(names)
    },
  }
}

/** Opens the pinned SSH connection and times it; a refused key or login becomes an SSH fact, not an error. */
async function connectTarget(name: string, machine: Context['machines'][string], context: Context, timeoutMs: number): ReturnType<MachineTarget['connect']> {
  const {connectTo, machineTarget} = await import('../remote/connect.js')
  // Outside the try: a machine whose settings give no target is the caller's error, not an SSH fact.
  const target = await machineTarget(name, machine, context)
  const where = `${target.user}@${target.host}:${target.port}`
  const started = performance.now()
  try {
    const transport: ExecTransport = await connectTo(target, {timeoutMs})
    return {ssh: {target: where, outcome: 'ok', durationMs: Math.round(performance.now() - started)}, transport}
  } catch (error) {
    return {ssh: sshFactsFromError(error, where, Math.round(performance.now() - started))}
  }
}
