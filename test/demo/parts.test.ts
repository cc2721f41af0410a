import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {EXAMPLES, imagesOf} from '../../scripts/demo/examples.js'
import {failedFindings} from '../../scripts/demo/findings.js'
import {parseTraefikRouters} from '../../src/diagnose/parse/traefik.js'
import {DemoError, Steps} from '../../scripts/demo/output.js'
import {Rdc, shellLine} from '../../scripts/demo/rdc.js'
import {copyImagesToRepoDaemon} from '../../scripts/demo/remote.js'
import {notYetLoaded, ruleHosts, summariseRoutes} from '../../scripts/demo/routes.js'
import {ensureBuilt} from '../lab/index.js'

describe('demo: routes summary', () => {
  it('reads the hostnames of Host and HostSNI rules', () => {
    expect(ruleHosts('Host(`app.example.com`) || Host(`www.example.com`, `x.example.com`)')).toEqual(['app.example.com', 'www.example.com', 'x.example.com'])
    expect(ruleHosts('HostSNI(`*`)')).toEqual(['*'])
    expect(ruleHosts('PathPrefix(`/api`)')).toEqual(['PathPrefix(`/api`)'])
    expect(ruleHosts(undefined)).toEqual([])
  })

  it('gives one aligned line per route, HTTP then TCP then UDP, hostname → backend, then the refusals', () => {
    const lines = summariseRoutes(
      [
        {protocol: 'http', router: 'webapp', rule: 'Host(`app.example.com`)', entryPoints: ['websecure', 'websecure-v6'], backends: ['http://127.0.11.3:3000'], source: 'labels', container: 'webapp_webapp_1'},
        {protocol: 'tcp', router: 'tcp-echo', rule: 'HostSNI(`*`)', entryPoints: ['tcp-5432'], backends: ['127.0.11.66:5432']},
        {protocol: 'udp', router: 'dns', entryPoints: ['udp-53'], backends: ['127.0.11.130:53']},
        {protocol: 'http', router: 'api', rule: 'Host(`api.example.com`)', entryPoints: ['websecure'], backends: ['http://127.0.11.4:8080']},
      ],
      [{container: 'x_1', reason: "router x: entry point 'nope' does not exist on this machine"}],
    )
    expect(lines).toEqual([
      'api.example.com  (websecure)               →  http://127.0.11.4:8080',
      'app.example.com  (websecure,websecure-v6)  →  http://127.0.11.3:3000  [labels, webapp_webapp_1]',
      'tcp-5432  (TCP, SNI any)                   →  127.0.11.66:5432',
      'udp-53  (UDP)                              →  127.0.11.130:53',
      "refused: x_1: router x: entry point 'nope' does not exist on this machine",
    ])
  })
})

describe('demo: waiting for the proxy', () => {
  it("names the route server's routers the proxy's API does not list yet", () => {
    const routes = [
      {protocol: 'http' as const, router: 'webapp-2816', backends: []},
      {protocol: 'udp' as const, router: 'dns-2944', backends: []},
    ]
    // As Traefik lists the web app: one copy per HTTPS entry point, which parseTraefikRouters folds back.
    const http = parseTraefikRouters('http', JSON.stringify([
      {name: 'websecure-webapp-2816@http', provider: 'http', entryPoints: ['websecure']},
      {name: 'websecure-v6-webapp-2816@http', provider: 'http', entryPoints: ['websecure-v6']},
      {name: 'ping@internal', provider: 'internal', entryPoints: ['traefik']},
    ]))
    expect(notYetLoaded(routes, http)).toEqual(['dns-2944'])
    expect(notYetLoaded(routes, [...http, ...parseTraefikRouters('udp', JSON.stringify([{name: 'dns-2944@http', provider: 'http', entryPoints: ['udp-53']}]))])).toEqual([])
  })
})

describe('demo: diagnose findings', () => {
  const report = [
    'demo-1 (2.4 s): 2 failed, 0 warnings, 2 ok',
    '    ok    route      app.example.com: loaded by Traefik as http router webapp-2816 on websecure',
    '    FAIL  tls        app.example.com @ 198.18.0.2: certificate not issued: Traefik serves its default self-signed certificate for app.example.com  → check that DNS points…',
    '    FAIL  route      webapp: refused by the route server (webapp): router webapp: entry point \'x\' does not exist on this machine  → use an entry point…',
    '    ok    dns        app.example.com: resolves to 198.18.0.2',
  ].join('\n')

  it('reads the failed findings of the human report, without their fix', () => {
    expect(failedFindings(report)).toEqual([
      {hop: 'tls', detail: 'app.example.com @ 198.18.0.2: certificate not issued: Traefik serves its default self-signed certificate for app.example.com'},
      {hop: 'route', detail: "webapp: refused by the route server (webapp): router webapp: entry point 'x' does not exist on this machine"},
    ])
  })
})

describe('demo: steps and commands', () => {
  it('quotes only the arguments a shell would split', () => {
    expect(shellLine(['context', 'add-machine', 'demo-1', '--host', '198.18.0.2'])).toBe('context add-machine demo-1 --host 198.18.0.2')
    expect(shellLine(['--rule', "Host(`a`) it's"])).toBe(`--rule 'Host(\`a\`) it'\\''s'`)
  })

  it('a failing step is named in the error, and its duration is not printed', async () => {
    const printed: string[] = []
    const steps = new Steps((l) => printed.push(l))
    await expect(steps.run('Push the proxy', async () => 1)).resolves.toBe(1)
    const failure = steps.run('Deploy the examples', async () => {
      throw new Error('boom')
    })
    await expect(failure).rejects.toBeInstanceOf(DemoError)
    await expect(failure).rejects.toThrow('step "Deploy the examples" failed: boom')
    expect(printed).toContain('== 1. Push the proxy')
    expect(printed).toContain('== 2. Deploy the examples')
    expect(printed.filter((l) => /^ {3}\(\d+\.\d s\)$/.test(l))).toHaveLength(1)
  })

  it('reads the images each example runs from its compose file', () => {
    expect(EXAMPLES.map((e) => e.name)).toEqual(['webapp', 'tcp-service', 'udp-service'])
    expect(imagesOf(EXAMPLES[0])).toEqual(['rdc-test/busybox:local'])
    expect(imagesOf(EXAMPLES[1])).toEqual(['rdc-test/busybox:local'])
    expect(imagesOf(EXAMPLES[2])).toEqual(['rdc-test/udp-echo:local'])
  })

  it('starts the repository daemon and loads the images into its socket', () => {
    const script = copyImagesToRepoDaemon(2880, ['rdc-test/busybox:local', 'rdc-test/udp-echo:local'])
    expect(script).toContain('systemctl start rediacc-docker@2880')
    expect(script).toContain('docker save rdc-test/busybox:local rdc-test/udp-echo:local | docker -H unix:///var/run/rediacc/docker-2880.sock load -q')
  })
})

describe('demo: running rdc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-demo-parts-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('prints the command line (secret input masked) and its output; a failing command names the step and the exit code', async () => {
    ensureBuilt()
    const config = join(dir, 'config.yaml')
    writeFileSync(config, 'version: 1\ncontexts: {}\n', {mode: 0o600})
    const printed: string[] = []
    const rdc = new Rdc(config, ['s3cret-token-value'], (l) => printed.push(l))
    await rdc.run('create', ['context', 'create', 'demo'], {stdin: {value: 's3cret-token-value', shownAs: '"$TOKEN"'}})
    expect(printed[0]).toBe('$ printf %s "$TOKEN" | rdc context create demo')
    expect(printed).toContain('  Created context "demo" (current).')
    expect(printed.join('\n')).not.toContain('s3cret-token-value')
    await expect(rdc.run('Show a context', ['context', 'show', 'nope'])).rejects.toThrow(/^step "Show a context" failed: rdc context show nope exited with 4: /)
  })
})
