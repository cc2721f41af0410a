/** Reading the real Traefik (and the route server it polls) on a machine: routers, certificates, its own log. */
import {parseTraefikRouters} from '../../src/diagnose/parse/traefik.js'
import {tlsPeer} from '../support/traffic.js'
import {until} from '../support/wait.js'
import type {TestHost} from '../testhost/index.js'

/** Waits until Traefik at address:443 serves `name` a certificate of its own, not its default one (issuance done). */
export async function untilCertificate(address: string, name: string, timeoutMs = 120_000): Promise<void> {
  await until(async () => {
    const peer = await tlsPeer(address, 443, name).catch(() => undefined)
    return peer !== undefined && peer.subjectCN !== 'TRAEFIK DEFAULT CERT'
  }, `Traefik to serve ${name} a certificate from the ACME CA`, {timeoutMs, intervalMs: 1000})
}

/** Waits until Traefik (polling the route server every 5 s) lists the router. */
export async function untilTraefikHas(host: TestHost, protocol: 'http' | 'tcp' | 'udp', router: string): Promise<void> {
  await until(async () => {
    const r = await host.exec(['curl', '-fsS', `http://127.0.0.1:8082/api/${protocol}/routers`])
    return r.code === 0 && r.stdout.includes(`"${router}@http"`)
  }, `Traefik to load ${protocol} router ${router}`)
}

/**
 * Every router Traefik has loaded (http, tcp, udp) as `name@provider`, from its API on the host's loopback, with
 * its per-entry-point copies of HTTP routers folded back into the provider's router (see providerRouterName).
 */
export async function traefikRouters(host: TestHost): Promise<string[]> {
  const names: string[] = []
  for (const protocol of ['http', 'tcp', 'udp'] as const) {
    const r = await host.exec(['curl', '-fsS', '-m', '5', `http://127.0.0.1:8082/api/${protocol}/routers`])
    if (r.code !== 0) throw new Error(`Traefik's API (/api/${protocol}/routers) did not answer: ${r.stderr}`)
    names.push(...parseTraefikRouters(protocol, r.stdout).map((x) => `${x.name}@${x.provider}`))
  }

  return names
}

/** Router names (`name@http`) the route server serves Traefik right now, from its /routes.json. */
export async function routeServerRouters(host: TestHost): Promise<string[]> {
  const r = await host.exec(['curl', '-fsS', '-m', '5', 'http://127.0.0.1:7111/routes.json'])
  if (r.code !== 0) throw new Error(`the route server's /routes.json did not answer: ${r.stderr}`)
  return (JSON.parse(r.stdout) as {routes: Array<{router: string}>}).routes.map((x) => `${x.router}@http`)
}

/** Waits until Traefik (polling the route server every 5 s) has loaded every router the route server serves. */
export async function untilTraefikLoadedAll(host: TestHost, timeoutMs = 30_000): Promise<string[]> {
  let missing: string[] = []
  await until(
    async () => {
      const [served, loaded] = await Promise.all([routeServerRouters(host), traefikRouters(host)])
      missing = served.filter((name) => !loaded.includes(name))
      return served.length > 0 && missing.length === 0
    },
    'Traefik to load every router the route server serves',
    {timeoutMs, intervalMs: 500},
  ).catch((error: Error) => {
    throw new Error(`${error.message} (still missing: ${missing.join(', ')})`)
  })
  return routeServerRouters(host)
}

export interface TraefikLogLine {
  level?: string
  message?: string
  error?: string
  [key: string]: unknown
}

/** Traefik's own log (JSON lines, `docker logs rediacc-proxy`), parsed; lines that are not JSON are kept as messages. */
export async function proxyLog(host: TestHost): Promise<TraefikLogLine[]> {
  const r = await host.exec(['sh', '-c', 'docker logs rediacc-proxy 2>&1'], {timeoutMs: 30_000})
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as TraefikLogLine
      } catch {
        return {message: l}
      }
    })
}
