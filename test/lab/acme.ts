/**
 * What the real-Traefik tests (and the demo) add to a machine set up by test/repo/lab.ts: the ACME settings that
 * point it at the ACME lab, the zone's resolver inside the host, deploying an example, and reading Traefik itself.
 */
import {writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {startAcmeLab, type AcmeLab} from '../support/acme/index.js'
import {tlsPeer} from '../support/traffic.js'
import {parseTraefikRouters} from '../../src/diagnose/parse/traefik.js'
import {until} from '../support/wait.js'
import type {TestHost} from '../testhost/index.js'
import {importImageIntoRepoDaemon, MACHINE, setUpMachine, type Lab} from './machine.js'

/**
 * Writes the lab's CA as a private ACME CA's users would give it to --acme-ca-cert: the root its HTTPS listener is
 * signed by (Traefik talks to it) and the root it issues certificates under (diagnose verifies served chains).
 */
export function writeAcmeCaFile(acme: AcmeLab, path: string): string {
  writeFileSync(path, `${acme.listenerCaPem.trim()}\n${acme.pebbleRootPem().trim()}\n`)
  return path
}

/**
 * set-infra flags that make the machine's `letsencrypt` resolver use the lab: Pebble's directory, its CA file (see
 * writeAcmeCaFile), the zone's resolver for lego's propagation check, and lego's Cloudflare API base URL (the ACME
 * lab's stand-in, or the DNS lab's fuller one). All of these are on the host's veth peer, the only address the host
 * reaches.
 */
export function acmeInfraFlags(acme: AcmeLab, host: Pick<TestHost, 'peer'>, caFile: string, cloudflareBaseUrl = acme.cloudflareBaseUrl(host.peer)): string[] {
  return [
    '--acme-ca-server', acme.directoryUrl(host.peer),
    '--acme-ca-cert', caFile,
    '--dns-resolvers', acme.resolver(host.peer),
    '--proxy-env', `CLOUDFLARE_BASE_URL=${cloudflareBaseUrl}`,
  ]
}

export interface AcmeMachine {
  acme: AcmeLab
  /** The lab's CA file given to --acme-ca-cert (see writeAcmeCaFile). */
  caFile: string
  /** The root Pebble issues under: what a client verifies the served chains against. */
  pebbleRoot: string
}

/**
 * A machine as a user with a private ACME CA sets it up, with the ACME lab standing in for Let's Encrypt and
 * Cloudflare: the lab on the host's veth peer, the host's resolver pointed at its zone, then context, pinned
 * machine, set-infra (certificate e-mail, the token, the lab's ACME settings, `infra` flags) and push-infra with
 * the real Traefik. The lab is stopped again when the setup fails, so no Pebble outlives a failed beforeAll.
 */
export async function setUpAcmeMachine(lab: Lab, host: TestHost, options: {token: string; zones?: string[]; infra?: string[]}): Promise<AcmeMachine> {
  const acme = await startAcmeLab({addresses: [host.peer, host.peer6], zones: options.zones ?? ['example.com'], token: options.token})
  try {
    await useZoneResolver(host, acme)
    const caFile = writeAcmeCaFile(acme, join(lab.dir, 'acme-ca.pem'))
    const email = `admin@${options.zones?.[0] ?? 'example.com'}`
    await setUpMachine(lab, host, ['--cert-email', email, '--cf-dns-token', options.token, ...acmeInfraFlags(acme, host, caFile), ...(options.infra ?? [])])
    return {acme, caFile, pebbleRoot: acme.pebbleRootPem()}
  } catch (error) {
    await acme.stop()
    throw error
  }
}

/** Waits until Traefik at address:443 serves `name` a certificate of its own, not its default one (issuance done). */
export async function untilCertificate(address: string, name: string, timeoutMs = 120_000): Promise<void> {
  await until(async () => {
    const peer = await tlsPeer(address, 443, name).catch(() => undefined)
    return peer !== undefined && peer.subjectCN !== 'TRAEFIK DEFAULT CERT'
  }, `Traefik to serve ${name} a certificate from the ACME CA`, {timeoutMs, intervalMs: 1000})
}

/**
 * The host's resolver is the zone's DNS front, as a real server's resolver reaches Cloudflare's nameservers: lego's
 * authoritative check looks the NS names up through it (port 53, by name). Set before push-infra, since a
 * container takes its copy of /etc/resolv.conf when it is created.
 */
export async function useZoneResolver(host: TestHost, acme: AcmeLab): Promise<void> {
  const r = await host.exec(['sh', '-c', `printf 'nameserver %s\\n' "$1" > /etc/resolv.conf`, 'sh', acme.resolver(host.peer).replace(/:53$/, '')])
  if (r.code !== 0) throw new Error(`writing /etc/resolv.conf on ${host.name}: ${r.stderr}`)
}

/** Copies images from the host's Docker into a repository's own daemon (no registry to pull from here). */
export async function copyImagesIntoRepoDaemon(host: TestHost, networkId: number, images: string[]): Promise<void> {
  const sock = `/var/run/rediacc/docker-${networkId}.sock`
  const script = [
    `systemctl start rediacc-docker@${networkId}`,
    `i=0; until docker -H unix://${sock} version >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done`,
    `docker save ${images.join(' ')} | docker -H unix://${sock} load -q >/dev/null`,
  ].join(' && ')
  const r = await host.exec(['sh', '-c', script], {timeoutMs: 120_000})
  if (r.code !== 0) throw new Error(`copying ${images.join(', ')} into docker-${networkId} failed: ${r.stderr}`)
}

export interface DeployOptions {
  /** Images the compose file runs, copied into the repository's daemon first. */
  images: string[]
  /** Repository name (default: the folder's name). */
  as?: string
  /** Changes the copied folder before `repo up` (certificates a service reads, say). */
  prepare?: (dir: string) => void
}

/** `rdc repo create` + the images + `rdc repo up` for examples/<name> (or a folder); returns its network id. */
export async function deploy(lab: Lab, host: TestHost, example: string, options: DeployOptions): Promise<number> {
  const {images, as = basename(example)} = options
  const path = lab.copyExample(example, as)
  options.prepare?.(path)
  const created = await lab.cli(['repo', 'create', as, '-m', MACHINE, '--path', path, '--json'])
  if (created.code !== 0) throw new Error(`rdc repo create ${as}: ${created.stdout}${created.stderr}`)
  const networkId = Number(created.json.networkId ?? created.json.repository?.networkId)
  if (!Number.isInteger(networkId)) throw new Error(`rdc repo create ${as} --json gave no networkId: ${created.stdout}`)
  if (images.length === 1 && images[0] === 'rdc-test/busybox:local') await importImageIntoRepoDaemon(host, networkId)
  else await copyImagesIntoRepoDaemon(host, networkId, images)
  const up = await lab.cli(['repo', 'up', as, '-m', MACHINE])
  if (up.code !== 0) throw new Error(`rdc repo up ${as}: exit ${up.code}\n${up.stdout}\n${up.stderr}`)
  return networkId
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
