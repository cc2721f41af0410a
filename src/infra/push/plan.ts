import {createHash, randomBytes} from 'node:crypto'
import {posix} from 'node:path'

import {PROXY_COMPOSE_PATH, PUSH_BACKUP_DIR, PUSH_PENDING_PATH, PUSH_STATE_DIR, RENET_CURRENT_LINK, RENET_LIB_DIR, ROUTER_UNIT_PATH} from '../../layout/server.js'
import type {RenderedSet} from '../render/rendered-file.js'
import type {EntryPoint} from '../../net/entrypoints.js'
import {defaultServerCommands, type ServerCommands} from './server-commands.js'
import {findPortConflicts, parseListeners, portNeeds} from './ports.js'
import {nodeMajor} from './probe.js'
import {
  clearPendingStep,
  commitStep,
  daemonReloadStep,
  enableRouterStep,
  prepareStep,
  pruneRenetStep,
  recreateProxyStep,
  restartRouterStep,
  rollbackSteps,
  uploadStep,
  waitProxyStep,
  waitRouterStep,
} from './steps.js'
import type {Plan, PlannedFile, Prerequisite, RemoteState, Service, Step, UploadStep} from './types.js'

export const MIN_NODE_MAJOR = 18

export interface PlanInput {
  machine: string
  rendered: RenderedSet
  state: RemoteState
  /** The machine's entry points, for the port check. */
  entryPoints: readonly EntryPoint[]
  /** Prefix for every server path (tests relocate the whole layout under a temp folder). */
  root?: string
  commands?: Partial<ServerCommands>
  id?: string
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

export function relocate(root: string | undefined, path: string): string {
  return root ? posix.join(root, path) : path
}

/** Every path the probe must report on, for a rendered set. */
export function probePaths(rendered: RenderedSet, root?: string): string[] {
  return [...rendered.files.map((f) => f.path), ...rendered.links.map((l) => l.path)].map((p) => relocate(root, p))
}

export function missingPrerequisites(state: RemoteState): Prerequisite[] {
  const missing: Prerequisite[] = []
  if (!state.tools.docker || !state.tools.dockerd) missing.push('docker')
  if (state.compose === 'none') missing.push('compose')
  if (!state.tools.systemctl || !state.systemdRunning) missing.push('systemd')
  // 'router-active': the probe skipped asking Node because the route server (a Node program) is running.
  const major = state.nodeVersion === 'router-active' ? MIN_NODE_MAJOR : nodeMajor(state.nodeVersion)
  if (major === undefined || major < MIN_NODE_MAJOR) missing.push('node')
  if (!state.tools.curl) missing.push('curl')
  return missing
}

function fileActions(input: PlanInput): PlannedFile[] {
  const remote = (path: string): string | null => input.state.hashes.get(path) ?? null
  const files: PlannedFile[] = input.rendered.files.map((f) => {
    const path = relocate(input.root, f.path)
    const localHash = sha256(f.content)
    const remoteHash = remote(path)
    const action = f.createOnly ? (remoteHash === null ? 'create' : 'kept') : remoteHash === null ? 'create' : remoteHash === localHash ? 'unchanged' : 'update'
    const bytes = action === 'create' || action === 'update' ? Buffer.byteLength(f.content) : 0
    return {path, kind: 'file', role: f.role, action, mode: f.mode, secret: Boolean(f.secret), bytes, localHash, remoteHash}
  })
  const links: PlannedFile[] = input.rendered.links.map((l) => {
    const path = relocate(input.root, l.path)
    const localHash = `link:${l.target}`
    const remoteHash = remote(path)
    const action = remoteHash === null ? 'create' : remoteHash === localHash ? 'unchanged' : 'update'
    return {path, kind: 'link', role: l.role, action, secret: false, bytes: 0, localHash, remoteHash}
  })
  return [...files, ...links]
}

function serviceReasons(files: readonly PlannedFile[], state: RemoteState, routerUnitPath: string): Partial<Record<Service, string>> {
  const changed = (pred: (f: PlannedFile) => boolean): string[] =>
    files.filter((f) => (f.action === 'create' || f.action === 'update') && pred(f)).map((f) => posix.basename(f.path))
  const reasons: Partial<Record<Service, string>> = {}
  const pending = (s: Service): string | undefined => (state.pending.includes(s) ? 'a previous push did not finish' : undefined)

  const units = changed((f) => f.role === 'units')
  reasons.units = units.length > 0 ? `changed: ${units.join(', ')}` : pending('units')

  const router = changed((f) => f.role === 'router' || f.role === 'program' || f.path === routerUnitPath)
  reasons.router =
    router.length > 0
      ? `changed: ${router.join(', ')}`
      : (pending('router') ?? (state.routerActive === 'active' ? undefined : `not running (${state.routerActive || 'unknown'})`))

  const proxy = changed((f) => f.role === 'proxy')
  reasons.proxy =
    proxy.length > 0 ? `changed: ${proxy.join(', ')}` : (pending('proxy') ?? (state.proxyRunning === 'true' ? undefined : `container not running (${state.proxyRunning})`))

  for (const s of Object.keys(reasons) as Service[]) if (reasons[s] === undefined) delete reasons[s]
  return reasons
}

/** The staged upload of every changing file, and the commit's `F target staged` / `L target linkTarget` entries. */
function stagedChanges(input: PlanInput, changing: readonly PlannedFile[]): {uploads: UploadStep[]; entries: string[]} {
  const at = (p: string): string => relocate(input.root, p)
  const uploads: UploadStep[] = []
  const entries: string[] = []
  for (const f of changing) {
    if (f.kind === 'link') {
      entries.push('L', f.path, input.rendered.links.find((l) => at(l.path) === f.path)!.target)
      continue
    }

    const upload = uploadStep(f.path, f.bytes, input.rendered.files.find((x) => at(x.path) === f.path)!)
    uploads.push(upload)
    entries.push('F', f.path, upload.stagePath)
  }

  return {uploads, entries}
}

/** The version a `link:<target>` hash names, or '' (no link). */
function linkTarget(hash: string | null): string {
  return hash?.startsWith('link:') ? hash.slice('link:'.length) : ''
}

/**
 * The plan for one machine: per-file actions, then the steps (stage uploads beside their targets, commit them in
 * one server-side rename pass with backups, act on exactly the services whose files changed, wait for health) and
 * the rollback that undoes them.
 */
export function buildPlan(input: PlanInput): Plan {
  const id = input.id ?? randomBytes(6).toString('hex')
  const at = (p: string): string => relocate(input.root, p)
  const commands: ServerCommands = {...defaultServerCommands(at(PROXY_COMPOSE_PATH), input.state.compose), ...input.commands}
  const files = fileActions(input)
  const reasons = serviceReasons(files, input.state, at(ROUTER_UNIT_PATH))
  const changing = files.filter((f) => f.action === 'create' || f.action === 'update')
  const {uploads, entries} = stagedChanges(input, changing)
  const stagedPaths = uploads.map((u) => u.stagePath)
  const backup = {backupDir: at(PUSH_BACKUP_DIR), id, pendingPath: at(PUSH_PENDING_PATH)}

  const steps: Step[] = []
  if (changing.length > 0) {
    const dirs = [...new Set([...changing.map((f) => posix.dirname(f.path)), at(PUSH_STATE_DIR)])].sort()
    steps.push(prepareStep(dirs, stagedPaths), ...uploads, commitStep({...backup, services: Object.keys(reasons) as Service[], entries, files: changing.length}))
  }

  if (reasons.units) steps.push(daemonReloadStep(commands))
  if (input.state.routerEnabled !== 'enabled') steps.push(enableRouterStep(commands))
  if (reasons.router) steps.push(restartRouterStep(commands))
  if (reasons.proxy) steps.push(recreateProxyStep(commands))
  if (reasons.router) steps.push(waitRouterStep(commands))
  if (reasons.proxy) steps.push(waitProxyStep(commands))
  const current = changing.find((f) => f.kind === 'link' && f.path === at(RENET_CURRENT_LINK))
  if (current) steps.push(pruneRenetStep(at(RENET_LIB_DIR), linkTarget(current.localHash), linkTarget(current.remoteHash)))
  if (changing.length > 0 || input.state.pending.length > 0) steps.push(clearPendingStep(backup.pendingPath))
  const rollback = rollbackSteps({...backup, stagedPaths}, commands)

  const entryPointsNeeded = portNeeds(input.entryPoints)
  return {
    machine: input.machine,
    id,
    files,
    reasons,
    steps,
    rollback,
    missingPrerequisites: missingPrerequisites(input.state),
    conflicts: findPortConflicts(entryPointsNeeded, parseListeners(input.state.listeners), input.state.proxyRunning === 'true', input.state.proxyPids),
    noop: steps.length === 0,
  }
}
