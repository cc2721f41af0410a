import {describe, expect, it} from 'vitest'

import {
  CLI_VERSION,
  NOW,
  cert,
  healthBody,
  healthy,
  http,
  httpDown,
  local,
  routeFacts,
  routesBody,
  server,
  ssOutput,
  tcp,
  tls,
  traefikEntryPoints,
  traefikRoutersBody,
} from '../../../test/support/diagnose-fixtures.js'
import {diagnoseFacts, type MachineFacts} from '../assemble.js'
import type {Finding} from '../finding.js'
import {checkDns} from './dns.js'
import {advertisedAddresses} from './relay.js'

function run(f: MachineFacts): Finding[] {
  return diagnoseFacts(f, NOW)
}

function only(findings: Finding[], status: 'warn' | 'fail'): Finding[] {
  return findings.filter((x) => x.status === status)
}

describe('a healthy machine', () => {
  it('gives only ok findings, one per hop and per route hop', () => {
    const findings = run(healthy())
    expect(findings.filter((f) => f.status !== 'ok')).toEqual([])
    expect(findings.map((f) => `${f.hop}:${f.subject ?? ''}`)).toEqual([
      'local:server-1',
      'ssh:deploy@203.0.113.50:22',
      'versions:renet',
      'versions:docker-2816',
      'router:rediacc-router',
      'proxy:rediacc-proxy',
      'entrypoint:',
      'proxy:traefik-api',
      'route:app.example.com',
      'backend:app.example.com',
      'dns:app.example.com',
      'tls:app.example.com @ 203.0.113.50',
      'tls:app.example.com @ 2001:db8::1',
      'route:tcp router my-app-mail-smtp',
      'backend:tcp router my-app-mail-smtp',
      'route:udp router my-app-turn',
      'backend:udp router my-app-turn',
      'relay:my-app-coturn-1',
    ])
    expect(findings.find((f) => f.hop === 'tls')!.detail).toBe("Let's Encrypt R11, valid until 2027-01-30 (62 days)")
    expect(findings.find((f) => f.hop === 'proxy' && f.subject === 'traefik-api')!.detail).toBe(
      'rdc, the route server and Traefik agree: 46 entry points, 3 routers',
    )
  })
})

describe('the networking guide’s troubleshooting table, row by row', () => {
  it('service missing from routes: --host names a hostname no route serves', () => {
    const f = healthy()
    f.local = local({askedHost: 'shop.example.com'})
    f.routes = []
    const [finding] = only(run(f), 'fail')
    expect(finding).toMatchObject({
      hop: 'route',
      subject: 'shop.example.com',
      detail: 'no route serves shop.example.com: its container is not running or lacks the labels',
    })
    expect(finding!.fix).toContain('sudo DOCKER_HOST=unix:///var/run/rediacc/docker-<id>.sock docker ps')
    expect(finding!.fix).toContain('traefik.enable=true and traefik.http.routers.<name>.rule=Host(`shop.example.com`)')
  })

  it('service missing from routes: the route server’s skipped containers give the reason', () => {
    const f = healthy()
    f.local = local({askedHost: 'api-2816.example.com'})
    f.server = server({health: http('health', 200, {...healthBody, skipped: [{container: 'my-app-api-1', containerId: 'c9', networkId: 2816, reason: 'no port: neither rediacc.service_port nor rediacc.tcp_ports'}, {container: 'other-1', containerId: 'c8', networkId: 2880, reason: 'unhealthy'}]})})
    f.routes = []
    const [finding] = only(run(f), 'fail')
    expect(finding!.detail).toBe(
      'no route serves api-2816.example.com: the automatic route of service api in network 2816 is missing (its container is not running, or has no rediacc.* labels / no port) (my-app-api-1 gives no route: no port: neither rediacc.service_port nor rediacc.tcp_ports)',
    )
  })

  it('service missing from routes: an automatic route names its service and daemon', () => {
    const f = healthy()
    f.local = local({askedHost: 'api-2880.example.com'})
    f.routes = []
    const [finding] = only(run(f), 'fail')
    expect(finding!.detail).toBe(
      'no route serves api-2880.example.com: the automatic route of service api in network 2880 is missing (its container is not running, or has no rediacc.* labels / no port)',
    )
    expect(finding!.fix).toContain('sudo DOCKER_HOST=unix:///var/run/rediacc/docker-2880.sock docker ps')
    expect(finding!.fix).toContain('rediacc.service_name=api')
  })

  it('certificate not issued: Traefik still serves its default certificate', () => {
    const f = healthy()
    f.routes![0]!.tls = [tls('203.0.113.50', cert({subjectCN: 'TRAEFIK DEFAULT CERT', issuerCN: 'TRAEFIK DEFAULT CERT', issuerO: '', sans: ['x.traefik.default'], selfSigned: true, traefikDefault: true, matchesName: false}))]
    const fails = only(run(f), 'fail')
    expect(fails).toHaveLength(1)
    expect(fails[0]).toMatchObject({
      hop: 'tls',
      subject: 'app.example.com @ 203.0.113.50',
      detail: 'certificate not issued: Traefik serves its default self-signed certificate for app.example.com',
    })
    expect(fails[0]!.fix).toContain('DNS points the name at this machine')
    expect(fails[0]!.fix).toContain('Zone:Zone:Read and Zone:DNS:Edit')
    expect(fails[0]!.fix).toContain('rdc context set-infra server-1 --cf-dns-token - && rdc context push-infra server-1')
  })

  it('certificate not issued: the newest ACME error in the proxy’s log says why', () => {
    const f = healthy()
    const fallback = cert({subjectCN: 'TRAEFIK DEFAULT CERT', issuerCN: 'TRAEFIK DEFAULT CERT', issuerO: '', sans: ['x.traefik.default'], selfSigned: true, traefikDefault: true, matchesName: false})
    f.routes![0]!.tls = [tls('203.0.113.50', fallback), tls('2001:db8::1', fallback)]
    const acmeLine = (domains: string[], error: string, time: string): string =>
      JSON.stringify({level: 'error', providerName: 'letsencrypt.acme', acmeCA: 'https://acme-v02.api.letsencrypt.org/directory', domains, error, time, message: 'Unable to obtain ACME certificate for domains'})
    f.server = server({
      proxyLog: {
        code: 0,
        stdout: [
          acmeLine(['app.example.com'], 'unable to generate a certificate for the domains [app.example.com]: resolver: one or more domains had a problem: [app.example.com: dns01: error presenting token (app.example.com): cloudflare: failed to find zone example.com.: zone could not be found]', '2026-11-28T08:10:00Z'),
          acmeLine(['shop.example.com'], 'cloudflare: failed to find zone example.com.: [status code 403] 9109: Invalid access token', '2026-11-28T08:20:00Z'),
          '@@rdc-docker-rc 0',
          '',
        ].join('\n'),
        stderr: '',
      },
    })
    const fails = only(run(f), 'fail')
    // The walk stops at the first failing address.
    expect(fails.map((x) => x.subject)).toEqual(['app.example.com @ 203.0.113.50'])
    expect(fails[0]).toMatchObject({
      hop: 'tls',
      detail:
        'certificate not issued: Traefik serves its default self-signed certificate for app.example.com; last ACME error (2026-11-28 08:10:00 UTC): ' +
        "Cloudflare has no zone example.com for the token's account",
      fix:
        "the token's account must hold the zone example.com (give the token Zone:Zone:Read and Zone:DNS:Edit on it: rdc context set-infra server-1 --cf-dns-token - && rdc context push-infra server-1), " +
        'or the base domain is wrong: rdc context set-infra server-1 --base-domain <domain> && rdc context push-infra server-1',
      acme: {
        cause: 'cloudflare-zone',
        domains: ['app.example.com'],
        time: '2026-11-28T08:10:00Z',
        error: 'dns01: error presenting token (app.example.com): cloudflare: failed to find zone example.com.: zone could not be found',
      },
    })
  })

  it('502 Bad Gateway: the backend refuses at its service IP and port; later hops are not judged', () => {
    const f = healthy()
    f.routes![0]!.backends = [{backend: 'http://127.0.11.2:3000', result: tcp('backend:127.0.11.2:3000', 'refused')}]
    const findings = run(f)
    const fails = only(findings, 'fail')
    expect(fails).toEqual([
      {
        hop: 'backend',
        status: 'fail',
        subject: 'app.example.com',
        durationMs: 1,
        detail: '502 Bad Gateway: nothing listens on 127.0.11.2:3000 (connection refused)',
        fix:
          'make the app listen on ${WEBAPP_IP}:3000 (bind to WEBAPP_IP, not 127.0.0.1 or localhost) and keep ' +
          'traefik.http.services.<name>.loadbalancer.server.port=3000 equal to the port it listens on; is it running? ' +
          'sudo DOCKER_HOST=unix:///var/run/rediacc/docker-2816.sock docker ps',
      },
    ])
    expect(findings.filter((x) => x.subject?.startsWith('app.example.com') && (x.hop === 'dns' || x.hop === 'tls'))).toEqual([])
  })

  it('TCP port unreachable: the route uses a port the infra settings do not register', () => {
    const f = healthy()
    const body = structuredClone(routesBody)
    body.routes[1]!.entryPoints = ['tcp-2525']
    f.server = server({routes: http('routes', 200, body)})
    f.routes![1]!.route = {...f.routes![1]!.route, entryPoints: ['tcp-2525']}
    const fails = only(run(f), 'fail')
    expect(fails).toContainEqual({
      hop: 'port',
      status: 'fail',
      subject: 'tcp router my-app-mail-smtp',
      detail: 'TCP port 2525 is not registered in the infra settings, so entry point tcp-2525 does not exist: the port is unreachable',
      fix: 'rdc context set-infra server-1 --tcp-ports 25,2525 && rdc context push-infra server-1',
    })
  })

  it('an IPv6 twin named on a machine that is not dual-stack', () => {
    const f = healthy()
    f.local = local({infra: {...local().infra, publicIPv6: undefined}})
    delete f.local.infra.publicIPv6
    f.routes![1]!.route = {...f.routes![1]!.route, entryPoints: ['tcp-25-v6']}
    expect(only(run(f), 'fail')).toContainEqual({
      hop: 'port',
      status: 'fail',
      subject: 'tcp router my-app-mail-smtp',
      detail: 'entry point tcp-25-v6 does not exist: the machine is not dual-stack (IPv6 twins exist only with both a public IPv4 and IPv6)',
      fix: 'write the entry point without -v6 (rdc adds the IPv6 twin itself), or rdc context set-infra server-1 --public-ipv6 <address> && rdc context push-infra server-1',
    })
  })

  it('a refused entry point the settings already have: the route server has not picked it up', () => {
    const f = healthy()
    f.server = server({
      health: http('health', 200, {...healthBody, status: 'degraded', refusals: [{kind: 'unknown-entrypoint', object: 'smtp', container: 'mail-1', networkId: 2816, reason: "tcp router smtp: entry point 'tcp-25' does not exist on this machine"}]}),
    })
    expect(only(run(f), 'fail')).toContainEqual({
      hop: 'route',
      status: 'fail',
      subject: 'smtp',
      detail: "refused by the route server (smtp, container mail-1, repository my-app): tcp router smtp: entry point 'tcp-25' does not exist on this machine",
      fix: 'the infra settings already have tcp-25, the route server does not know it yet: rdc context push-infra server-1; if it persists, sudo systemctl restart rediacc-router',
    })
  })

  it('route server running an old version: installed renet is current, the running one is not', () => {
    const f = healthy()
    f.server = server({health: http('health', 200, {...healthBody, version: '0.0.9'})})
    const fails = only(run(f), 'fail')
    expect(fails).toEqual([
      {
        hop: 'versions',
        status: 'fail',
        subject: 'rediacc-router',
        detail: 'the route server is still running renet 0.0.9; 0.1.0 is installed (the service was not restarted after the update)',
        fix: 'sudo systemctl restart rediacc-router',
      },
    ])
  })

  it('STUN/TURN relay with a stale address: the container advertises the old public IP', () => {
    const f = healthy()
    f.routes![2]!.container = {...f.routes![2]!.container!, startedAt: '2026-11-01T00:00:00Z', env: ['EXTERNAL_IP=198.51.100.9'], cmd: ['turnserver', '--relay-ip=10.0.0.5']}
    const fails = only(run(f), 'fail')
    expect(fails).toEqual([
      {
        hop: 'relay',
        status: 'fail',
        subject: 'my-app-coturn-1',
        detail:
          "the STUN/TURN relay advertises 198.51.100.9 (read when it started at 2026-11-01T00:00:00Z), but the machine's public address is 203.0.113.50, 2001:db8::1",
        fix: 'update the address in its settings if it is written there, then recreate the service so it reads the new network config: rdc repo up my-app (on the server: renet compose -- up -d --force-recreate coturn)',
      },
    ])
  })
})

describe('SSH, versions and the route server', () => {
  it('a changed host key stops the walk at SSH with the re-pin command', () => {
    const f = healthy()
    f.ssh = {target: 'deploy@203.0.113.50:22', outcome: 'host-key-mismatch', durationMs: 40, pinned: 'SHA256:old', presented: 'SHA256:new'}
    const findings = run(f)
    expect(findings.map((x) => x.hop)).toEqual(['local', 'ssh'])
    expect(findings[1]).toMatchObject({
      status: 'fail',
      detail: 'host key changed: pinned SHA256:old, server presented SHA256:new; nothing was run',
    })
    expect(findings[1]!.fix).toContain('rdc context scan-keys server-1')
  })

  it('the server’s renet older than the CLI → push-infra; missing → push-infra; newer → warn', () => {
    const older = run({...healthy(), server: server({renetVersion: {code: 0, stdout: '0.0.9\n', stderr: ''}, health: http('health', 200, {...healthBody, version: '0.0.9'})})})
    expect(only(older, 'fail')).toEqual([
      {hop: 'versions', status: 'fail', subject: 'renet', detail: `the server's renet 0.0.9 is older than this CLI (${CLI_VERSION})`, fix: 'rdc context push-infra server-1'},
    ])
    const missing = run({...healthy(), server: server({renetVersion: {code: 127, stdout: '', stderr: 'renet: command not found'}})})
    expect(only(missing, 'fail')).toMatchObject([{hop: 'versions', detail: 'renet is not installed', fix: 'rdc context push-infra server-1'}])
    const newer = run({...healthy(), server: server({renetVersion: {code: 0, stdout: '0.2.0\n', stderr: ''}, health: http('health', 200, {...healthBody, version: '0.2.0'})})})
    expect(only(newer, 'fail')).toEqual([])
    expect(only(newer, 'warn')).toMatchObject([{hop: 'versions', subject: 'renet'}])
  })

  it('sockets the SSH user may not read say how to get access', () => {
    const denied = {id: 'x', kind: 'http' as const, outcome: 'error' as const, error: 'EACCES', durationMs: 1}
    const fails = only(run({...healthy(), server: server({proxy: {...denied, id: 'proxy'}, daemons: [{socket: '/var/run/rediacc/docker-2816.sock', version: denied}]})}), 'fail')
    expect(fails.map((x) => [x.hop, x.fix])).toEqual([
      ['versions', 'log in as root, or allow the SSH user passwordless sudo (diagnose reads the Docker sockets through sudo -n)'],
      ['proxy', 'log in as root, or allow the SSH user passwordless sudo (diagnose reads the Docker sockets through sudo -n)'],
    ])
  })

  it('a repository daemon that does not answer names its unit', () => {
    const f = healthy()
    f.server = server({daemons: [{socket: '/var/run/rediacc/docker-2880.sock', version: httpDown('docker-2880')}]})
    expect(only(run(f), 'fail')).toEqual([
      {
        hop: 'versions',
        status: 'fail',
        subject: 'docker-2880',
        detail: 'Docker daemon docker-2880 does not answer: ECONNREFUSED',
        fix: 'sudo systemctl restart rediacc-docker@2880 (logs: sudo journalctl -u rediacc-docker@2880 -n 50)',
      },
    ])
  })

  it('router stopped: unit inactive, /health refused, and Traefik serving its last configuration is named stale', () => {
    const f = healthy()
    f.server = server({
      routerUnit: {code: 3, stdout: 'inactive\n', stderr: ''},
      health: httpDown('health'),
      routes: httpDown('routes'),
    })
    const fails = only(run(f), 'fail')
    expect(fails.map((x) => [x.hop, x.detail, x.fix])).toEqual([
      ['router', 'rediacc-router is inactive', 'sudo systemctl start rediacc-router (why it stopped: sudo journalctl -u rediacc-router -n 50)'],
      ['router', '/health on 127.0.0.1:7111 does not answer (refused: ECONNREFUSED)', 'sudo systemctl restart rediacc-router (then: sudo journalctl -u rediacc-router -n 50)'],
    ])
    // /routes.json is unknown while the router is down, so the routes are not compared (nor walked).
    expect(run(f).some((x) => x.hop === 'backend')).toBe(false)
  })

  it('a route server still starting is a warning, not a failure', () => {
    const f = healthy()
    f.server = server({health: http('health', 503, {...healthBody, status: 'starting'}), routes: http('routes', 503, 'starting')})
    const findings = run(f)
    expect(only(findings, 'fail')).toEqual([])
    expect(only(findings, 'warn').map((x) => x.detail)).toEqual([
      'the route server has not finished its first discovery yet (503): Traefik keeps its last configuration',
      '/routes.json is not ready (503): the route server is still starting',
    ])
  })

  it('stale configuration: Traefik keeps routers the route server no longer serves', () => {
    const body = {routes: routesBody.routes.filter((r) => r.protocol !== 'tcp')}
    const withRouterOk = run({...healthy(), server: server({routes: http('routes', 200, body)}), routes: []})
    expect(only(withRouterOk, 'warn')).toMatchObject([
      {hop: 'proxy', subject: 'my-app-mail-smtp', detail: expect.stringContaining('which the route server no longer serves: a stale configuration')},
    ])
    const failing = run({...healthy(), server: server({routerUnit: {code: 3, stdout: 'failed\n', stderr: ''}, routes: http('routes', 200, body)}), routes: []})
    expect(only(failing, 'fail')).toContainEqual(
      expect.objectContaining({hop: 'proxy', subject: 'my-app-mail-smtp', fix: 'sudo systemctl restart rediacc-router'}),
    )
  })

  it('degraded daemons warn; refused routes fail with their reason and a matching fix', () => {
    const f = healthy()
    f.server = server({
      health: http('health', 200, {
        ...healthBody,
        status: 'degraded',
        daemons: [{networkId: 2816, socket: '/var/run/rediacc/docker-2816.sock', stale: true, lastSync: '2026-11-28T08:50:00Z', error: 'connect ENOENT', containers: 3}],
        refusals: [
          {container: 'mail-1', containerId: 'c1', networkId: 2880, object: 'smtp', kind: 'unknown-entrypoint', reason: 'entrypoint tcp-587 does not exist'},
          {container: 'web-1', containerId: 'c2', networkId: 2816, object: 'web', kind: 'foreign-hostname', reason: 'app.example.com is already routed by network 2944'},
        ],
      }),
    })
    const findings = run(f)
    expect(only(findings, 'warn')).toMatchObject([
      {hop: 'router', subject: 'docker-2816', detail: 'daemon docker-2816 is stale (last sync 2026-11-28T08:50:00Z): connect ENOENT; its last known routes are kept'},
    ])
    expect(only(findings, 'fail')).toEqual([
      {
        hop: 'route',
        status: 'fail',
        subject: 'smtp',
        detail: 'refused by the route server (smtp, container mail-1, network 2880): entrypoint tcp-587 does not exist',
        fix: 'register the port: rdc context set-infra server-1 --tcp-ports 25,587 && rdc context push-infra server-1',
      },
      {
        hop: 'route',
        status: 'fail',
        subject: 'web',
        detail: 'refused by the route server (web, container web-1, repository my-app): app.example.com is already routed by network 2944',
        fix: 'another repository already has it: use a hostname/router name of your own, or remove it there first; then rdc repo up my-app',
      },
    ])
  })

  it('--repo with no routes names the repository’s daemon', () => {
    const f = healthy()
    f.local = local({askedRepo: {name: 'shop', networkId: 2880}})
    f.routes = []
    expect(only(run(f), 'fail')).toEqual([
      {
        hop: 'route',
        status: 'fail',
        subject: 'shop',
        detail: 'repository shop (network 2880) has no routes: no running container with traefik.enable=true or rediacc.* labels and a port',
        fix: 'check its containers and labels: sudo DOCKER_HOST=unix:///var/run/rediacc/docker-2880.sock docker ps; then rdc repo up shop',
      },
    ])
  })
})

describe('proxy and the three-way comparison', () => {
  it('a missing or exited proxy container', () => {
    const gone = run({...healthy(), server: server({proxy: http('proxy', 404, {message: 'No such container: rediacc-proxy'})})})
    expect(only(gone, 'fail')).toContainEqual({hop: 'proxy', status: 'fail', subject: 'rediacc-proxy', detail: 'the rediacc-proxy container does not exist', fix: 'rdc context push-infra server-1'})
    const exited = run({...healthy(), server: server({proxy: http('proxy', 200, {State: {Status: 'exited', Running: false, ExitCode: 1, Error: ''}})})})
    expect(only(exited, 'fail')[0]).toMatchObject({
      hop: 'proxy',
      detail: 'rediacc-proxy is exited, exit code 1',
      fix: 'see why: sudo docker logs rediacc-proxy --since 10m; then recreate it: rdc context push-infra server-1',
    })
  })

  it('an entry point nobody listens on; systemd-resolved on 127.0.0.53 is no conflict, a program on every address is', () => {
    const base = ssOutput(undefined, ['tcp-25', 'udp-53', 'udp-53-v6'])
    const resolved = `${base}udp   UNCONN 0      0    127.0.0.53%lo:53    0.0.0.0:*    users:(("systemd-resolve",pid=250,fd=13))\n`
    const fails = only(run({...healthy(), server: server({sockets: {code: 0, stdout: resolved, stderr: ''}})}), 'fail')
    expect(fails.map((x) => [x.hop, x.subject, x.detail])).toEqual([
      ['entrypoint', '3 entry points', 'nothing listens on 3 of 46 entry points: tcp-25 (203.0.113.50:25), udp-53 (203.0.113.50:53/udp), udp-53-v6 ([2001:db8::1]:53/udp)'],
    ])
    expect(fails[0]!.fix).toBe(
      'rdc context push-infra server-1 (if 203.0.113.50 or 2001:db8::1 is not an address of this server, Traefik cannot bind it: check publicIPv4/publicIPv6); then sudo docker logs rediacc-proxy --since 10m',
    )

    const everywhere = `${ssOutput(undefined, ['udp-53', 'udp-53-v6'])}udp   UNCONN 0      0    0.0.0.0:53    0.0.0.0:*    users:(("dnsmasq",pid=251,fd=4))\n`
    const held = only(run({...healthy(), server: server({sockets: {code: 0, stdout: everywhere, stderr: ''}})}), 'fail')
    // 0.0.0.0 takes every IPv4 address only: the IPv6 twin is merely silent.
    expect(held).toEqual([
      {
        hop: 'entrypoint',
        status: 'fail',
        subject: 'udp-53-v6',
        detail: 'nothing listens on udp-53-v6 ([2001:db8::1]:53/udp)',
        fix: 'rdc context push-infra server-1 (if 2001:db8::1 is not an address of this server, Traefik cannot bind it: check publicIPv4/publicIPv6); then sudo docker logs rediacc-proxy --since 10m',
      },
      {
        hop: 'entrypoint',
        status: 'fail',
        subject: 'udp-53 (203.0.113.50:53/udp)',
        detail: 'port 53/udp is held by dnsmasq on every IPv4 address, not Traefik',
        fix: "make dnsmasq listen on specific addresses instead of every address (or stop it): Linux refuses Traefik's bind on 203.0.113.50:53/udp while port 53 is taken on every address; then rdc context push-infra server-1",
      },
    ])
  })

  it('a server without systemd is named as such, not as a stopped unit', () => {
    const f = {...healthy(), server: server({routerUnit: {code: 1, stdout: 'System has not been booted with systemd as init system (PID 1). Can\'t operate.\nFailed to connect to bus: Host is down\n', stderr: ''}})}
    expect(only(run(f), 'fail')).toMatchObject([{hop: 'router', detail: "cannot ask systemd about rediacc-router: System has not been booted with systemd as init system (PID 1). Can't operate."}])
  })

  it('a route server set up with another base domain than the settings (router.yaml not pushed)', () => {
    const fails = only(run({...healthy(), server: server({health: http('health', 200, {...healthBody, baseDomain: 'old.example.net'})})}), 'fail')
    expect(fails).toEqual([
      {
        hop: 'router',
        status: 'fail',
        subject: 'router.yaml',
        detail: 'the route server uses base domain old.example.net, the infra settings say example.com: its settings are older than the context',
        fix: 'rdc context push-infra server-1',
      },
    ])
  })

  it('Traefik lacks an entry point rdc intends (static config older than the settings)', () => {
    const eps = traefikEntryPoints().filter((e) => (e as {name: string}).name !== 'tcp-25')
    const fails = only(run({...healthy(), server: server({traefikEntryPoints: http('entrypoints', 200, eps)})}), 'fail')
    expect(fails).toEqual([
      {
        hop: 'entrypoint',
        status: 'fail',
        subject: 'tcp-25',
        detail: 'Traefik has no entry point tcp-25 (203.0.113.50:25): its static configuration is older than the infra settings',
        fix: 'rdc context push-infra server-1',
      },
    ])
  })

  it('Traefik still binds an entry point on every address (a static configuration from before specific addresses)', () => {
    const eps = traefikEntryPoints().map((e) => ((e as {name: string}).name === 'tcp-5432' ? {name: 'tcp-5432', address: ':5432'} : e))
    const ss = ssOutput(undefined, ['tcp-5432']) + 'tcp   LISTEN 0      4096    *:5432    *:*    users:(("traefik",pid=812,fd=9))\n'
    const fails = only(run({...healthy(), server: server({traefikEntryPoints: http('entrypoints', 200, eps), sockets: {code: 0, stdout: ss, stderr: ''}})}), 'fail')
    expect(fails).toEqual([
      {
        hop: 'entrypoint',
        status: 'fail',
        subject: 'tcp-5432',
        detail: "Traefik's entry point tcp-5432 listens on :5432, the infra settings say 203.0.113.50:5432: its static configuration is older than the infra settings",
        fix: 'rdc context push-infra server-1',
      },
    ])
    // The same address spelt differently is no difference.
    const spelt = traefikEntryPoints().map((e) => ((e as {name: string}).name === 'websecure-v6' ? {name: 'websecure-v6', address: '[2001:DB8:0::1]:443/tcp'} : e))
    expect(only(run({...healthy(), server: server({traefikEntryPoints: http('entrypoints', 200, spelt)})}), 'fail')).toEqual([])
  })

  it('a router the route server serves but Traefik dropped, and one Traefik disabled', () => {
    const dropped = run({
      ...healthy(),
      server: server({traefikRouters: {...server().traefikRouters, tcp: http('routers-tcp', 200, [])}}),
    })
    expect(only(dropped, 'fail')).toMatchObject([
      {hop: 'route', subject: 'tcp router my-app-mail-smtp', detail: 'Traefik dropped tcp router my-app-mail-smtp: the route server serves it but Traefik did not load it'},
    ])
    const disabled = structuredClone(traefikRoutersBody.http)
    Object.assign(disabled[0]!, {status: 'disabled', error: ['the service "my-app-webapp@http" does not exist']})
    const off = run({...healthy(), server: server({traefikRouters: {...server().traefikRouters, http: http('routers-http', 200, disabled)}})})
    expect(only(off, 'fail')).toMatchObject([
      {hop: 'route', subject: 'app.example.com', detail: 'Traefik disabled router my-app-webapp: the service "my-app-webapp@http" does not exist'},
    ])
  })

  it('Traefik’s API not answering is a failure, and the per-route Traefik hop is skipped', () => {
    const f = {...healthy(), server: server({traefikEntryPoints: httpDown('entrypoints')})}
    const fails = only(run(f), 'fail')
    expect(fails).toMatchObject([{hop: 'proxy', subject: 'traefik-api'}])
  })
})

describe('DNS', () => {
  const infra = local().infra
  const answer = (a: string[] | string, aaaa: string[] | string, name = 'app.example.com') => ({
    name,
    resolver: '127.0.0.1:5353',
    a: typeof a === 'string' ? {error: a} : {addresses: a},
    aaaa: typeof aaaa === 'string' ? {error: aaaa} : {addresses: aaaa},
  })

  it('DNS pointing elsewhere fails with the record to change', () => {
    expect(checkDns(answer(['198.51.100.7'], ['2001:db8::1']), infra)).toEqual({
      hop: 'dns',
      status: 'fail',
      subject: 'app.example.com',
      detail: 'A → 198.51.100.7, not this machine (203.0.113.50) via 127.0.0.1:5353',
      fix: 'point app.example.com (or the wildcard *.example.com) A to 203.0.113.50',
    })
  })

  it('a wildcard that answers for the name is named as the record to fix', () => {
    const wild = answer(['198.51.100.7'], 'ENODATA', 'rdc-probe-x1.example.com')
    const f = checkDns(answer(['198.51.100.7'], 'ENODATA'), infra, wild)
    expect(f.status).toBe('fail')
    expect(f.detail).toContain('(answered by the wildcard *.example.com)')
    expect(f.fix).toBe('point *.example.com A to 203.0.113.50; create *.example.com AAAA 2001:db8::1')
    const good = checkDns(answer(['203.0.113.50'], ['2001:db8:0:0::1']), infra, answer(['203.0.113.50'], ['2001:db8::1'], 'rdc-probe-x1.example.com'))
    expect(good).toEqual({hop: 'dns', status: 'ok', subject: 'app.example.com', detail: 'resolves to 203.0.113.50, 2001:db8:0:0::1 (wildcard *.example.com) via 127.0.0.1:5353'})
  })

  it('NXDOMAIN, a missing AAAA, an AAAA without IPv6 and a resolver failure', () => {
    expect(checkDns(answer('ENOTFOUND', 'ENOTFOUND', 'new.shop.test'), infra)).toMatchObject({
      status: 'fail',
      detail: 'new.shop.test does not exist in DNS via 127.0.0.1:5353 (NXDOMAIN)',
      fix: 'create new.shop.test A 203.0.113.50 and AAAA 2001:db8::1',
    })
    expect(checkDns(answer(['203.0.113.50'], 'ENODATA'), infra)).toMatchObject({
      status: 'warn',
      fix: 'create app.example.com (or the wildcard *.example.com) AAAA 2001:db8::1',
    })
    const v4only = {...infra, publicIPv6: undefined}
    expect(checkDns(answer(['203.0.113.50'], ['2001:db8::99']), v4only)).toMatchObject({
      status: 'fail',
      detail: 'AAAA → 2001:db8::99, but the machine has no IPv6 entry point: those clients cannot connect via 127.0.0.1:5353',
    })
    expect(checkDns(answer('ETIMEOUT', 'ETIMEOUT'), infra)).toMatchObject({status: 'warn', detail: 'could not resolve app.example.com via 127.0.0.1:5353: ETIMEOUT'})
    expect(checkDns(answer(['203.0.113.50', '198.51.100.7'], ['2001:db8::1']), infra)).toMatchObject({status: 'warn', fix: 'remove 198.51.100.7 from app.example.com (or the wildcard *.example.com) A'})
  })

  it('DNS failing in the walk stops before the certificate', () => {
    const f = healthy()
    f.routes![0]!.dns = [answer(['198.51.100.7'], ['2001:db8::1'])]
    f.routes![0]!.tls = [tls('203.0.113.50', undefined)]
    const fails = only(run(f), 'fail')
    expect(fails.map((x) => x.hop)).toEqual(['dns'])
  })
})

describe('backend answers', () => {
  it('an app answering 5xx is a warning naming its logs; 2xx-4xx is ok', () => {
    const f = healthy()
    f.routes![0]!.backends = [{backend: 'http://127.0.11.2:3000', result: {id: 'b', kind: 'http', outcome: 'ok', status: 503, body: '', durationMs: 2}}]
    expect(run(f).find((x) => x.hop === 'backend')).toMatchObject({
      status: 'warn',
      detail: "127.0.11.2:3000 answers, but with HTTP 503 (the app's own error, passed through by Traefik)",
      fix: "see the app's logs: sudo DOCKER_HOST=unix:///var/run/rediacc/docker-2816.sock docker logs <container>",
    })
    f.routes![0]!.backends = [{backend: 'http://127.0.11.2:3000', result: {id: 'b', kind: 'http', outcome: 'ok', status: 404, body: '', durationMs: 2}}]
    expect(run(f).find((x) => x.hop === 'backend')).toMatchObject({status: 'ok', detail: '127.0.11.2:3000 answers HTTP 404 (webapp)'})
  })
})

describe('TLS and relay details', () => {
  it('expired, soon-to-expire, wrong-name and self-signed certificates', () => {
    const walk = (c: ReturnType<typeof cert>) => {
      const f = healthy()
      f.routes![0]!.tls = [tls('203.0.113.50', c)]
      return run(f).filter((x) => x.hop === 'tls')[0]!
    }
    expect(walk(cert({notAfter: '2026-11-01T00:00:00.000Z'}))).toMatchObject({status: 'fail', detail: 'the certificate for app.example.com expired on 2026-11-01'})
    expect(walk(cert({notAfter: '2026-12-05T00:00:00.000Z'}))).toMatchObject({status: 'warn', detail: 'the certificate for app.example.com expires in 6 days (2026-12-05): renewal is overdue'})
    expect(walk(cert({matchesName: false, subjectCN: 'other.example.com', sans: ['other.example.com']}))).toMatchObject({
      status: 'fail',
      detail: 'the certificate served (other.example.com; other.example.com) does not cover app.example.com',
    })
    expect(walk(cert({selfSigned: true, issuerCN: 'app.example.com', issuerO: ''}))).toMatchObject({status: 'warn'})
    expect(walk(undefined as never)).toMatchObject({status: 'ok'})
  })

  it('finds public IP literals a relay was started with, ignoring private and loopback ones', () => {
    expect(
      advertisedAddresses({exists: true, env: ['EXTERNAL_IP=198.51.100.9/10.0.0.5', 'LISTEN=127.0.11.4', 'V6=2001:db8::7', 'VERSION=4.6.2.1x'], cmd: ['--relay-ip=192.168.1.2']}),
    ).toEqual(['198.51.100.9', '2001:db8::7'])
  })
})

describe('local settings', () => {
  it('names each missing setting with its set-infra flag', () => {
    const findings = run({local: local({hasHostKey: false, infra: {hasCfDnsToken: false}})})
    expect(findings.map((f) => [f.status, f.fix])).toEqual([
      ['warn', 'rdc context scan-keys server-1'],
      ['fail', 'rdc context set-infra server-1 --public-ipv4 <address> && rdc context push-infra server-1'],
      ['warn', 'rdc context set-infra server-1 --base-domain <domain> && rdc context push-infra server-1'],
      ['fail', 'rdc context set-infra server-1 --cert-email <address> && rdc context push-infra server-1'],
      ['warn', 'rdc context set-infra server-1 --cf-dns-token - && rdc context push-infra server-1'],
    ])
  })
})

it('route facts fixture stays in step with the routes body', () => {
  expect(routeFacts().map((r) => r.route.name)).toEqual(['my-app-webapp', 'my-app-mail-smtp', 'my-app-turn'])
})
