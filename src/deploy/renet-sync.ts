/**
 * `rdc repo up` keeps the server's renet at this CLI's version, as push-infra does: when the `current` link names
 * another version, the program is uploaded and switched with push-infra's own plan and executor (atomic, backed
 * up, rolled back on failure), and only the route server is restarted. The proxy is never touched here.
 */
import {RemoteError} from '../errors.js'
import {PROXY_COMPOSE_PATH, PUSH_PENDING_PATH, RENET_CURRENT_LINK} from '../layout/server.js'
import {renderProgram} from '../infra/render/program.js'
import {applyPlan} from '../infra/push/apply.js'
import {defaultServerCommands} from '../infra/push/server-commands.js'
import {readRemoteState} from '../infra/push/probe.js'
import {buildPlan, probePaths} from '../infra/push/plan.js'
import type {Transport} from '../remote/transport.js'
import type {RemoteStep} from '../remote/step.js'

export interface RenetUpdate {
  /** The version the server had (null: no `current` link). */
  from: string | null
  to: string
  /** What was restarted: the route server only. */
  restarted: string[]
}

export function renetVersionStep(): RemoteStep {
  return {label: 'renet version', argv: ['sh', '-c', 'readlink "$1" 2>/dev/null || true', 'rdc-renet-version', RENET_CURRENT_LINK], timeoutMs: 15_000}
}

/** Nothing when the server runs `bundle.version`; else the update, done. */
export async function keepRenetAtCliVersion(
  t: Transport,
  machine: string,
  o: {loadBundle?: () => Promise<{bundle: Buffer; version: string}>; progress?: (line: string) => void} = {},
): Promise<RenetUpdate | undefined> {
  const step = renetVersionStep()
  const read = await t.exec(step.argv, {timeoutMs: step.timeoutMs})
  const from = read.stdout.trim() || null
  const {bundle, version} = await (o.loadBundle ?? (async () => (await import('../infra/push/bundle.js')).loadRenetBundle()))()
  if (from === version) return undefined
  o.progress?.(`${machine}: renet ${from ?? '(none)'} differs from this CLI's ${version}: updating it and restarting the route server only`)
  const rendered = renderProgram({renetBundle: bundle, renetVersion: version})
  const commands = defaultServerCommands(PROXY_COMPOSE_PATH, 'none')
  const state = await readRemoteState(t, PUSH_PENDING_PATH, commands, probePaths(rendered))
  const owed = state.pending.filter((s) => s !== 'router')
  if (owed.length > 0) {
    throw new RemoteError(`A push-infra to ${machine} was cut before it restarted ${owed.join(', ')}, so renet is not updated here.`, {host: machine}, {suggestion: `Finish it first: rdc context push-infra ${machine}`})
  }

  // Only the program changes here: the proxy is left as it is even when a push would recreate it.
  const plan = buildPlan({
    machine,
    rendered,
    state: {...state, compose: state.compose === 'none' ? 'v2' : state.compose, proxyRunning: 'true', routerEnabled: 'enabled'},
    entryPoints: [],
  })
  const applied = await applyPlan(t, plan, {host: machine})
  if (!applied.ok) {
    throw new RemoteError(`Updating renet on ${machine} from ${from ?? '(none)'} to ${version} failed: ${applied.error?.message ?? 'a step failed'}; the previous program was restored.`, applied.error?.details ?? {host: machine}, {
      suggestion: `See the route server's journal (journalctl -u rediacc-router on the server), then: rdc context push-infra ${machine}`,
    })
  }

  return {from, to: version, restarted: applied.servicesTouched.includes('router') ? ['rediacc-router'] : []}
}
