/**
 * The names a machine's routes serve, read from its route server over SSH (`curl 127.0.0.1:7111/routes.json` on
 * the machine, as `rdc repo status` reads it) and parsed as diagnose parses it.
 */
import {routesStep} from '../deploy/steps.js'
import {ROUTER_ADDRESS} from '../layout/server.js'
import {ParseError, parseRoutes, type RouteView} from '../diagnose/parse/router.js'
import {RemoteError} from '../errors.js'
import type {Transport} from '../remote/transport.js'

export interface RouteHost {
  name: string
  /** Routers serving the name (`router@http`-less names as served). */
  routers: string[]
}

export interface MachineRoutes {
  hosts: RouteHost[]
  routes: number
}

/** Host names of routes, each with the routers that serve it. */
export function hostsOf(routes: readonly RouteView[]): RouteHost[] {
  const byName = new Map<string, Set<string>>()
  for (const r of routes) {
    for (const h of r.hosts) {
      const set = byName.get(h) ?? new Set<string>()
      set.add(r.name)
      byName.set(h, set)
    }
  }
  return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, set]) => ({name, routers: [...set].sort()}))
}

const CURL_HTTP_ERROR = 22

/**
 * /routes.json from the machine. The route server answers 503 until its first complete discovery (a few seconds
 * after it starts): waited for up to `waitMs`.
 */
export async function readMachineRoutes(t: Transport, machine: string, options: {waitMs?: number; sleep?: (ms: number) => Promise<void>} = {}): Promise<MachineRoutes> {
  const deadline = Date.now() + (options.waitMs ?? 10_000)
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)))
  for (;;) {
    const r = await t.exec(routesStep().argv, {timeoutMs: routesStep().timeoutMs})
    if (r.code === 0) {
      try {
        const routes = parseRoutes(r.stdout)
        return {hosts: hostsOf(routes), routes: routes.length}
      } catch (error) {
        if (!(error instanceof ParseError)) throw error
        throw new RemoteError(`The route server on ${machine} answered /routes.json with something rdc cannot read: ${error.message}.`, {host: machine, command: 'curl /routes.json'}, {
          suggestion: `Bring the server's renet to this CLI's version: rdc context push-infra ${machine}`,
        })
      }
    }
    if (r.code === CURL_HTTP_ERROR && Date.now() < deadline) {
      await sleep(500)
      continue
    }
    const detail = (r.stderr || r.stdout).trim()
    throw new RemoteError(`The route server on ${machine} did not answer on ${ROUTER_ADDRESS} (exit ${r.code}${detail ? `: ${detail}` : ''}), so its routes' names are unknown.`, {host: machine, command: 'curl /routes.json', exitCode: r.code, stderr: r.stderr}, {
      suggestion: `Set the machine up (rdc context push-infra ${machine}), or see what is wrong: rdc diagnose -m ${machine}`,
    })
  }
}
