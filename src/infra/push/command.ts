import {join} from 'node:path'

import {Secret} from '../../config/secret.js'
import {connectMachine} from '../../remote/connect.js'
import {loadRenetBundle} from './bundle.js'
import {checkRenderedSet, type OutResult, writeRenderedSet} from './write-out.js'
import {summaryText} from './report.js'
import {type MachinePushResult, missingTokenWarning, pushInfra, type PushSummary} from './run.js'
import {resolvePushTargets} from './targets.js'
import {renderMachineInfra} from '../render/render.js'

export interface PushCommandOptions {
  machines: string[]
  all?: boolean
  dryRun?: boolean
  out?: string
  installPrereqs?: boolean
  concurrency?: number
  configPath?: string
  contextName?: string
  json: boolean
  log: (line: string) => void
  env?: NodeJS.ProcessEnv
  /** SSH connect timeout per machine. */
  timeoutMs?: number
  /** false: the Cloudflare token is not checked before a machine is changed (--no-token-check). */
  check?: boolean
}

export interface OutSummary {
  out: {machine: string; dir: string; files: OutResult['files']; links: OutResult['links']; warnings?: string[]}[]
}

/** What `rdc context push-infra` does after parsing its flags. */
export async function runPushInfra(o: PushCommandOptions): Promise<PushSummary | OutSummary> {
  const env = o.env ?? process.env
  const {context, targets} = await resolvePushTargets({configPath: o.configPath, contextName: o.contextName, machines: o.machines, all: o.all})
  const renet = await loadRenetBundle()
  const envToken = env.RDC_CF_DNS_TOKEN ? new Secret(env.RDC_CF_DNS_TOKEN) : undefined

  if (o.out) {
    // One machine: DIR is its server root. Several: DIR/<machine>/ each. Every set is checked before any is written.
    const outDir = o.out
    const out: OutSummary['out'] = []
    const sets = targets.map((t) => {
      const infra = t.machine.infra ?? {}
      const token = infra.cfDnsApiToken ? new Secret(infra.cfDnsApiToken) : envToken
      const set = renderMachineInfra({...infra, machineName: t.machineName, cfDnsApiToken: token, renetBundle: renet.bundle, renetVersion: renet.version})
      return {t, token, set, dir: targets.length === 1 ? outDir : join(outDir, t.machineName)}
    })
    for (const {set, dir} of sets) await checkRenderedSet(dir, set, outDir)
    for (const {t, token, set, dir} of sets) {
      const written = await writeRenderedSet(dir, set, outDir)
      const warning = missingTokenWarning(t.machineName, token)
      out.push({machine: t.machineName, dir: written.dir, files: written.files, links: written.links, ...(warning ? {warnings: [warning]} : {})})
      if (!o.json) o.log(`${t.machineName}: ${written.files.length} files and ${written.links.length} link written under ${written.dir}${warning ? `\n  warning: ${warning}` : ''}`)
    }

    return {out}
  }

  const progress = o.json ? undefined : await progressReporter(targets.map((t) => t.machineName), o.log)
  const summary = await pushInfra({
    targets,
    renet,
    connect: (t) => connectMachine(t.machineName, t.machine, context, o.timeoutMs === undefined ? {} : {timeoutMs: o.timeoutMs}),
    cfDnsApiToken: envToken,
    ...(o.check === false || o.dryRun ? {} : {checkToken: await tokenChecker()}),
    dryRun: o.dryRun,
    installPrereqs: o.installPrereqs,
    concurrency: o.concurrency,
    onProgress: progress?.update,
    onResult: progress?.finish,
  })
  await progress?.done()
  if (!o.json) o.log(summaryText(summary))
  return summary
}

/** The Cloudflare token check of src/dns, loaded only when a push needs it. */
async function tokenChecker(): Promise<NonNullable<Parameters<typeof pushInfra>[0]['checkToken']>> {
  const {pushTokenChecker} = await import('../../dns/token-check.js')
  const check = pushTokenChecker()
  return (target, token) => check(target.machineName, target.machine.infra ?? {}, token)
}

interface ProgressReporter {
  update: (machine: string, message: string) => void
  finish: (result: MachinePushResult) => void
  done: () => Promise<void>
}

/** listr2 on a terminal (loaded only then), plain `machine: step` lines otherwise (CI logs). */
async function progressReporter(machines: string[], log: (line: string) => void): Promise<ProgressReporter> {
  if (!process.stdout.isTTY) {
    return {update: (m, msg) => log(`${m}: ${msg}`), finish: () => undefined, done: async () => undefined}
  }

  const {Listr} = await import('listr2')
  const waiting = new Map<string, {resolve: (r: MachinePushResult) => void; promise: Promise<MachinePushResult>}>()
  const outputs = new Map<string, (msg: string) => void>()
  for (const m of machines) {
    let resolve!: (r: MachinePushResult) => void
    const promise = new Promise<MachinePushResult>((r) => {
      resolve = r
    })
    waiting.set(m, {resolve, promise})
  }

  const list = new Listr(
    machines.map((m) => ({
      title: m,
      task: async (_ctx: unknown, task: {output: string; title: string}) => {
        outputs.set(m, (msg) => {
          task.output = msg
        })
        const r = await waiting.get(m)!.promise
        task.title = `${m}: ${r.status}`
        if (r.status === 'failed') throw new Error(r.error?.message ?? 'failed')
      },
    })),
    {concurrent: true, exitOnError: false, rendererOptions: {collapseErrors: false}},
  )
  const running = list.run().catch(() => undefined)
  return {
    update: (m, msg) => outputs.get(m)?.(msg),
    finish: (r) => waiting.get(r.machine)?.resolve(r),
    done: async () => {
      await running
    },
  }
}
