/**
 * `npm run demo` (= `demo up`) / `npm run demo -- down`: the product's main job on one test host, as a newcomer
 * would do it on a fresh server. Every rdc step runs the built CLI (`node bin/run.js`) against the demo's own
 * config file; a command this build does not have yet is shown as "not in this build". Any failing step stops
 * the demo with the step named and a non-zero exit; the host stays up for inspection until `demo down`.
 */
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import {join, relative} from 'node:path'
import {parseDocument} from 'yaml'

import {startDnsmasq} from '../test/support/dnsmasq.js'
import {cleanupInstance} from '../test/testhost/cleanup.js'
import {ensureImageCache} from '../test/testhost/image.js'
import {BUSYBOX_IMAGE, loadBusyboxImage, loadTraefikStandinImage, loadUdpEchoImage, PROXY_STANDIN_PING, startTestHostSession, TestHost, UDP_ECHO_IMAGE} from '../test/testhost/index.js'
import {instanceLayout, REPO_ROOT} from '../test/testhost/instance.js'
import {forgetSavedHosts, knownHostsFile, saveHosts, SavedHost} from '../test/testhost/saved-hosts.js'
import {build, buildIsStale} from './demo/build.js'
import {EXAMPLES, imagesOf} from './demo/examples.js'
import {expectedOffline, failedFindings} from './demo/findings.js'
import {DemoError, seconds, Steps} from './demo/output.js'
import {Rdc} from './demo/rdc.js'
import {copyImagesToRepoDaemon, onHost, onHostOk, sshArgs} from './demo/remote.js'
import {notYetLoaded, RefusalEntry, RouteEntry, ruleHosts, summariseRoutes} from './demo/routes.js'
import {CONTEXT, DEMO_PROXY_IMAGE, DEMO_TOKEN, demoConfigDir, demoDnsPort, EXTRA_TCP_PORTS, EXTRA_UDP_PORTS, HTTP_HOST, MACHINE} from './demo/settings.js'

const layout = instanceLayout('demo')
const CONFIG_DIR = demoConfigDir(layout)
const CONFIG = join(CONFIG_DIR, 'config.yaml')

/** What the proxy stand-in the demo runs does, for the request step's explanation. */
const PROXY_DOES = `listens on every entry point (TLS with Traefik's default certificate), answers ping (${PROXY_STANDIN_PING})\n  and Traefik's API with the routers it polls from the route server`

const print = (line: string) => process.stdout.write(`${line}\n`)
const indent = (text: string) => text.trimEnd().split('\n').filter(Boolean).forEach((l) => print(`  ${l}`))

const IMAGE_LOADERS: Record<string, (host: TestHost) => Promise<string>> = {
  [BUSYBOX_IMAGE]: loadBusyboxImage,
  [UDP_ECHO_IMAGE]: loadUdpEchoImage,
}

function notInBuild(command: string, what: string): void {
  print(`$ rdc ${command} …  — not in this build (${what})`)
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
  const [routes, http, tcp, udp] = out.split('\n---\n').map((part) => JSON.parse(part) as unknown)
  return notYetLoaded((routes as {routes: RouteEntry[]}).routes, {http, tcp, udp} as Parameters<typeof notYetLoaded>[1])
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

    print(`  ${await loadTraefikStandinImage(host.live)}  (stand-in for Traefik: listens on every entry point, answers ping and the API, routes nothing)`)
  })

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
      ['context', 'set-infra', MACHINE, '--public-ipv4', host.saved.address, '--public-ipv6', host.saved.address6!, '--allow-private', '--base-domain', 'example.com',
        '--cert-email', 'admin@example.com', '--cf-dns-token', '-', '--tcp-ports', EXTRA_TCP_PORTS, '--udp-ports', EXTRA_UDP_PORTS, '--proxy-image', DEMO_PROXY_IMAGE],
      {stdin: {value: DEMO_TOKEN, shownAs: '"$DEMO_CF_TOKEN"'}},
    )
    print(`  --proxy-image ${DEMO_PROXY_IMAGE}: a stand-in for Traefik, since no Traefik image can be pulled here`)
  })

  await steps.run('Show the infrastructure settings and entry points', async (title) => {
    await rdc.run(title, ['context', 'show-infra', MACHINE])
  })

  const pushed = await steps.run('Push the proxy and route server setup over SSH', async (title) => {
    if (!(await rdc.has('context push-infra'))) {
      notInBuild(`context push-infra ${MACHINE}`, 'renders Traefik and the route server and pushes them')
      return false
    }

    await rdc.run(title, ['context', 'push-infra', MACHINE])
    return true
  })

  const deployed = await steps.run('Deploy the example repositories', async (title) => {
    const [create, upCmd] = await Promise.all([rdc.has('repo create'), rdc.has('repo up')])
    if (!create || !upCmd) {
      for (const e of EXAMPLES) notInBuild(`repo ${create ? 'up' : 'create'} ${e.name} -m ${MACHINE}`, `deploys ${e.path}`)
      return []
    }

    if (!pushed) throw new DemoError(title, 'repo up needs push-infra (the per-repository Docker unit), which this build lacks')
    for (const e of EXAMPLES) {
      await rdc.run(`${title}: ${e.name}`, ['repo', 'create', e.name, '-m', MACHINE, '--path', e.path])
      const id = networkIdOf(e.name)
      const images = imagesOf(e)
      print(`  (on the host) start rediacc-docker@${id} and copy ${images.join(', ')} into it, as a registry pull would`)
      await onHostOk(host.saved, known, copyImagesToRepoDaemon(id, images), 120_000)
      await rdc.run(`${title}: ${e.name}`, ['repo', 'up', e.name, '-m', MACHINE])
    }

    // Traefik polls the route server every 5 s: diagnose compares what Traefik loaded, so let it catch up first.
    const waited = Date.now()
    for (;;) {
      const missing = await routersNotInProxy(host.saved, known)
      if (missing.length === 0) break
      if (Date.now() - waited > 20_000) throw new DemoError(title, `the proxy has not loaded ${missing.join(', ')} from the route server after 20 s`)
      await new Promise((r) => setTimeout(r, 500))
    }

    print(`  the proxy loaded every route from the route server (${seconds(Date.now() - waited)} after the last repo up; it polls every 5 s)`)
    return EXAMPLES.map((e) => e.name)
  })

  await steps.run('Diagnose every hop', async (title) => {
    if (!(await rdc.has('diagnose'))) {
      notInBuild(`diagnose -m ${MACHINE}`, 'walks DNS → proxy → route server → container and names the broken hop')
      return
    }

    // No real DNS here: a dnsmasq on loopback stands in for the zone, with the wildcard record *.example.com
    // pointing at the host, and diagnose asks it instead of the machine's resolver.
    const port = demoDnsPort(layout.id)
    print(`  (on this machine) dnsmasq on 127.0.0.1:${port} answers *.example.com with ${host.saved.address} and ${host.saved.address6}, as a wildcard record would`)
    const dns = await startDnsmasq([`--address=/example.com/${host.saved.address}`, `--address=/example.com/${host.saved.address6}`], port)
    try {
      const r = await rdc.run(title, ['diagnose', '-m', MACHINE, '--resolver', dns.address], {okCodes: [0, 1]})
      const failed = failedFindings(r.stdout)
      const unexpected = failed.filter((f) => !expectedOffline(f))
      if (r.code !== 0 && (failed.length === 0 || unexpected.length > 0)) {
        throw new DemoError(title, `diagnose found ${unexpected.length || 'unlisted'} failure(s) the offline setup does not explain${unexpected.length ? `: ${unexpected.map((f) => `${f.hop} ${f.detail.slice(0, 80)}`).join('; ')}` : ''}`)
      }

      if (failed.length > 0) print(`  expected here: ${failed.length} "certificate not issued" (no ACME offline: the stand-in serves Traefik's default certificate); nothing else failed`)
    } finally {
      await dns.stop()
    }
  })

  if (pushed) {
    const view = await steps.run('Routes the route server gives Traefik (curl 127.0.0.1:7111/routes.json on the host)', async (title) => {
      // The route server follows Docker's events; give it a moment to see the containers repo up started.
      const deadline = Date.now() + 15_000
      let v = await readRoutes(host.saved, known)
      while (deployed.length > 0 && v.routes.length + v.refusals.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300))
        v = await readRoutes(host.saved, known)
      }

      const lines = summariseRoutes(v.routes, v.refusals)
      indent(lines.length > 0 ? lines.join('\n') : '(no routes: nothing is deployed in this build)')
      if (v.refusals.length > 0) throw new DemoError(title, `the route server refused ${v.refusals.length} router(s) (listed above)`)
      return v
    })

    if (deployed.includes('webapp')) {
      await steps.run(`A request for ${HTTP_HOST}`, async (title) => {
        const route = view.routes.find((r) => r.protocol === 'http' && ruleHosts(r.rule).includes(HTTP_HOST))
        if (!route) throw new DemoError(title, `no route for ${HTTP_HOST}`)
        const backend = route.backends[0]!
        print('  The proxy is a stand-in (no Traefik image offline): it')
        print(`  ${PROXY_DOES},`)
        print(`  but it forwards no traffic, and ${HTTP_HOST} has no public DNS or ACME certificate here. So the request goes,`)
        print('  on the host, to the backend the route names, which is where Traefik would forward it:')
        const r = await onHost(host.saved, known, `curl -sS -i ${backend}/`)
        if (r.code !== 0) throw new DemoError(title, `curl ${backend}/ on the host failed: ${r.stderr.trim()}`)
        print(`  $ curl -i ${backend}/   (on the host)`)
        const lines = r.stdout.replaceAll('\r', '').split('\n')
        indent([lines[0], ...lines.filter((l) => /<h1>|<title>/.test(l))].join('\n'))
        if (!/^HTTP\/1\.[01] 200/.test(lines[0] ?? '')) throw new DemoError(title, `the web app answered "${lines[0]}"`)
      })
    }
  }

  print('')
  print(`demo up in ${seconds(Date.now() - started)}.`)
  print(`Use rdc on it:  RDC_CONFIG=${CONFIG} node bin/run.js context show`)
  print(`Log in:         ssh ${sshArgs(host.saved, known).join(' ')}`)
  print('Remove it:      npm run demo -- down')
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
