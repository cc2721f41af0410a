/**
 * One repository sync, whatever carries the commands: at most two execs of renet on the server — `renet sync
 * manifest`, then, only when something differs, `renet sync apply` with the whole change on stdin. `exec` has
 * the shape of the SSH Transport's exec (and of a local child process in tests).
 */
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {RemoteError} from '../errors.js'
import {readDotenv} from '../renet/compose/dotenv.js'
import type {Transport} from '../remote/transport.js'
import {type ComposeSource, protectedPathsFromCompose} from './compose-mounts.js'
import {patternForPath} from '../renet/sync/glob.js'
import {encodePlan, isEmptyPlan, planSync, scanLocal, type SyncPlan} from './sync-plan.js'
import type {Manifest} from '../renet/sync/tree.js'
import {type SyncApplyResult, collect} from '../renet/sync/wire.js'

/** How a sync runs renet on the server: a Transport's exec (a local one in tests). */
export type SyncExec = Transport['exec']

export interface SyncOptions {
  /** The local repository folder. */
  localDir: string
  /** The repository folder on the server (`/mnt/rediacc/repos/<repo>`). */
  remoteDir: string
  exec: SyncExec
  /** How to start renet on the server; default `['renet']`. */
  renet?: readonly string[]
  /** For `${VAR}` in compose bind-mount sources. */
  env?: Readonly<Record<string, string | undefined>>
  timeoutMs?: number
}

export interface SyncReport {
  plan: SyncPlan
  /** Data folders left alone (from the compose files). */
  protected: string[]
  /** Bytes written to the server's stdin for the apply (0 when nothing changed and apply was not run). */
  streamBytes: number
  manifestMs: number
  apply: SyncApplyResult | null
}

/** The default compose files of the repository root and its first-level folders (where Rediaccfiles run), each with its folder's `.env`. */
export async function readComposeSources(dir: string): Promise<ComposeSource[]> {
  const names = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml']
  const folders = ['', ...(await readdir(dir, {withFileTypes: true})).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort()]
  const out: ComposeSource[] = []
  for (const folder of folders) {
    for (const name of names) {
      const path = folder === '' ? name : `${folder}/${name}`
      try {
        const text = await readFile(join(dir, path), 'utf8')
        const dotenv = readDotenv(join(dir, folder))
        out.push(Object.keys(dotenv).length > 0 ? {path, text, dotenv} : {path, text})
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
  }

  return out
}

export async function syncRepository(options: SyncOptions): Promise<SyncReport> {
  const renet = [...(options.renet ?? ['renet'])]
  const protectedPaths = await protectedPathsFromCompose(await readComposeSources(options.localDir), {env: options.env})
  const dataPatterns = protectedPaths.map(patternForPath)
  const local = await scanLocal(options.localDir, {exclude: dataPatterns})
  const excludeArgs = [...dataPatterns, ...local.ignore].flatMap((pattern) => ['--exclude', pattern])

  const manifestRun = await options.exec([...renet, 'sync', 'manifest', '--path', options.remoteDir, ...excludeArgs], {timeoutMs: options.timeoutMs})
  if (manifestRun.code !== 0) throw remoteFailure('could not list the repository folder on the server', 'renet sync manifest', manifestRun)
  let manifest: Manifest
  try {
    manifest = JSON.parse(manifestRun.stdout) as Manifest
  } catch {
    throw remoteFailure('the server did not list the repository folder (is renet on the server as new as rdc?)', 'renet sync manifest', manifestRun)
  }

  const plan = planSync(local.tree, manifest.entries, {protected: protectedPaths, ignore: local.ignore, remoteExcluded: manifest.excluded})
  const report: SyncReport = {plan, protected: protectedPaths, streamBytes: 0, manifestMs: manifest.stats.ms, apply: null}
  if (isEmptyPlan(plan)) return report

  const stdin = await collect(encodePlan(plan, options.localDir))
  report.streamBytes = stdin.length
  const applyRun = await options.exec([...renet, 'sync', 'apply', '--path', options.remoteDir, ...excludeArgs], {stdin, timeoutMs: options.timeoutMs})
  try {
    report.apply = JSON.parse(applyRun.stdout) as SyncApplyResult
  } catch {
    throw remoteFailure('the server did not report the sync result', 'renet sync apply', applyRun)
  }

  if (applyRun.code !== 0) throw remoteFailure('the sync did not complete on the server', 'renet sync apply', applyRun)
  return report
}

function remoteFailure(message: string, command: string, run: {code: number | null; stderr: string}): RemoteError {
  return new RemoteError(
    message,
    {command, exitCode: run.code, stderr: run.stderr},
    {suggestion: 'Read the server output above; run `rdc repo up` again once it is fixed (the sync converges).'},
  )
}
