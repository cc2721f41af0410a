/**
 * `rdc repo up --dns`: after a deploy, the machine's records made as `rdc dns apply <machine>` makes them, so a new
 * Host() label gets its record on deploy. The route server learns of new containers from Docker's events a moment
 * after `up` returns: the routes are read once it has seen every running container of the repository (as a route,
 * a skipped container or a refusal), or after `waitMs`.
 */
import {parseHealth, parseRoutes, ParseError} from '../diagnose/parse/router.js'
import {connectMachine} from '../remote/connect.js'
import type {RepoTarget} from '../deploy/repositories.js'
import {routerHealthStep, routesStep} from '../deploy/steps.js'
import type {RdcError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import {hostsOf, readMachineRoutes, type MachineRoutes} from './routes.js'
import {applyDns, type DnsApplyResult} from './service.js'

export interface DnsAfterUpOptions {
  target: RepoTarget
  configPath?: string
  progress?: (line: string) => void
  connect?: () => Promise<Transport>
  /** Longest wait for the route server to see the repository's containers (default 15 s). */
  waitMs?: number
}

/** Names of the repository daemon's running containers, and those the route server accounts for. */
async function seen(t: Transport, target: RepoTarget): Promise<{running: string[]; known: Set<string>; routes?: string}> {
  const ps = await t.exec(['docker', '-H', target.location.dockerHost, 'ps', '--format', '{{.Names}}'], {timeoutMs: 30_000})
  const running = ps.code === 0 ? ps.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : []
  const known = new Set<string>()
  const routes = await t.exec(routesStep().argv, {timeoutMs: routesStep().timeoutMs})
  const health = await t.exec(routerHealthStep().argv, {timeoutMs: routerHealthStep().timeoutMs})
  try {
    if (routes.code === 0) for (const r of parseRoutes(routes.stdout)) if (r.container) known.add(r.container)
    const h = parseHealth(health.stdout)
    for (const s of h.skipped) known.add(s.container)
    for (const r of h.refusals) if (r.container) known.add(r.container)
  } catch (error) {
    if (!(error instanceof ParseError)) throw error
  }
  return {running, known, ...(routes.code === 0 ? {routes: routes.stdout} : {})}
}

async function routesOnceSeen(o: DnsAfterUpOptions): Promise<MachineRoutes> {
  const {target} = o
  const t = await (o.connect ?? (() => connectMachine(target.machineName, target.machine, target.context)))()
  try {
    const deadline = Date.now() + (o.waitMs ?? 15_000)
    for (;;) {
      const s = await seen(t, target)
      const missing = s.running.filter((name) => !s.known.has(name))
      if (s.routes !== undefined && (missing.length === 0 || Date.now() >= deadline)) {
        if (missing.length > 0) o.progress?.(`${target.machineName}: the route server has not seen ${missing.join(', ')} yet; their names get records on the next apply`)
        const routes = parseRoutes(s.routes)
        return {hosts: hostsOf(routes), routes: routes.length}
      }
      if (Date.now() >= deadline) return readMachineRoutes(t, target.machineName)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  } finally {
    await t.close().catch(() => undefined)
  }
}

export async function dnsAfterUp(o: DnsAfterUpOptions): Promise<{result: DnsApplyResult; error?: RdcError}> {
  o.progress?.(`${o.target.machineName}: DNS records (rdc dns apply ${o.target.machineName})`)
  return applyDns({
    machines: [o.target.machineName],
    contextName: o.target.contextName,
    ...(o.configPath === undefined ? {} : {configPath: o.configPath}),
    ...(o.progress ? {progress: o.progress} : {}),
    routesOf: (name) => (name === o.target.machineName ? routesOnceSeen(o) : undefined),
  })
}
