import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {selfSignedCert} from '../support/certs.js'
import {BUSYBOX_IMAGE, UDP_ECHO_IMAGE, UDP_ECHO_SOURCE, writeBusyboxRootfs} from '../support/images.js'
import {buildTraefikStandin} from '../support/traefik-standin/build.js'
import {TestHost} from './host.js'

export {BUSYBOX_IMAGE, UDP_ECHO_IMAGE} from '../support/images.js'

/**
 * Stand-in for the proxy (Traefik) image, which cannot be had here. Run with `network_mode: host` it does what the
 * rest of the system can observe of a healthy proxy container: it keeps running, and answers Traefik's ping on our
 * internal entry point — `GET http://127.0.0.1:8082/ping` → 200 `OK`. It routes nothing: Traefik's routing is
 * covered by validating the rendered configuration against Traefik's schemas. Any command-line arguments (such as
 * `--configFile=…`) are accepted and ignored, so a compose file written for Traefik runs it unchanged.
 */
export const PROXY_STANDIN_IMAGE = 'rdc-test/proxy-standin:local'
/** Where the stand-in answers, inside the host's network namespace. */
export const PROXY_STANDIN_PING = 'http://127.0.0.1:8082/ping'

async function withRootfs<T>(fill: (dir: string) => void, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-th-rootfs-'))
  try {
    fill(dir)
    return await use(dir)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Imports the 1 MB busybox-static image (sh, httpd, nc, sleep…) into the host's Docker as rdc-test/busybox:local. */
export function loadBusyboxImage(host: TestHost, name = BUSYBOX_IMAGE): Promise<string> {
  return withRootfs(writeBusyboxRootfs, (dir) => host.loadImage(name, dir, {changes: ['CMD ["/bin/sh"]']}))
}

/** Imports the proxy stand-in (see PROXY_STANDIN_IMAGE) into the host's Docker. */
export function loadProxyStandinImage(host: TestHost, name = PROXY_STANDIN_IMAGE): Promise<string> {
  return withRootfs(
    (dir) => {
      writeBusyboxRootfs(dir)
      mkdirSync(join(dir, 'www'), {recursive: true})
      writeFileSync(join(dir, 'www/ping'), 'OK')
      writeFileSync(
        join(dir, 'bin/proxy-standin'),
        [
          '#!/bin/sh',
          '# Stand-in for the proxy image: answers GET /ping with OK on 127.0.0.1:8082 and runs until stopped.',
          'echo "proxy-standin: started with arguments: $*"',
          "trap 'exit 0' TERM INT",
          'httpd -f -p 127.0.0.1:8082 -h /www &',
          'wait $!',
          '',
        ].join('\n'),
      )
      chmodSync(join(dir, 'bin/proxy-standin'), 0o755)
    },
    (dir) => host.loadImage(name, dir, {changes: ['ENTRYPOINT ["/bin/proxy-standin"]', 'CMD []', 'LABEL org.opencontainers.image.title=rdc-proxy-standin']}),
  )
}

/**
 * Imports UDP_ECHO_IMAGE (busybox plus a static /bin/udp-echo; examples/udp-service runs it) into the host's
 * Docker. udp-echo.c is compiled statically here (`cc`, from .ci/run's packages): the test host has no compiler.
 */
export function loadUdpEchoImage(host: TestHost, name = UDP_ECHO_IMAGE): Promise<string> {
  return withRootfs(
    (dir) => {
      writeBusyboxRootfs(dir)
      const cc = spawnSync('cc', ['-static', '-Os', '-o', join(dir, 'bin/udp-echo'), UDP_ECHO_SOURCE], {encoding: 'utf8'})
      if (cc.status !== 0) throw new Error(`cc -static ${UDP_ECHO_SOURCE} failed (gcc and libc6-dev are needed): ${cc.error?.message ?? cc.stderr}`)
    },
    (dir) => host.loadImage(name, dir, {changes: ['CMD ["/bin/sh"]']}),
  )
}

/**
 * The Traefik stand-in as a proxy image (test/support/traefik-standin): run by push-infra as `rediacc-proxy`
 * (`infra.proxyImage`), with host networking, it reads the traefik.yml push-infra mounts at /etc/traefik/traefik.yml
 * (from its `--configFile=` argument) and behaves like Traefik where diagnose and the rest of the system look:
 * every entry point of the file listens on its address (TCP, TLS with a "TRAEFIK DEFAULT CERT" certificate, UDP),
 * `GET http://127.0.0.1:8082/ping` answers `OK`, the API answers /api/entrypoints and /api/{http,tcp,udp}/routers,
 * and it polls the route server's HTTP provider every 5 s like Traefik (a non-200 keeps the last routers). It
 * routes no traffic. The program is the host's own Node.js, copied with its libraries and named `traefik`, so
 * `ss -p` shows the entry points held by "traefik".
 */
export const TRAEFIK_STANDIN_IMAGE = 'rdc-test/traefik-standin:local'

/** Copies the host's node and every library it links into ROOT, with the stand-in, then imports ROOT as an image. */
const IMPORT_SCRIPT = `set -eu
name="$1"
root=$(mktemp -d /tmp/rdc-traefik-standin.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/standin" "$root/usr/local/bin" "$root/tmp" "$root/etc/traefik" "$root/letsencrypt"
tar -C "$root/standin" -x
cp /usr/bin/node "$root/usr/local/bin/traefik"
# Debian's Node.js loads some of its own internals (cjs-module-lexer, undici, acorn) from /usr/share/nodejs.
mkdir -p "$root/usr/share"
cp -a /usr/share/nodejs "$root/usr/share/"
for lib in $(ldd /usr/bin/node | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -c . | docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/traefik", "/standin/standin.cjs", "--certDir=/standin"]' \
  --change 'CMD ["--configFile=/etc/traefik/traefik.yml"]' \
  --change 'LABEL org.opencontainers.image.title=rdc-traefik-standin' \
  - "$name" >/dev/null
echo "$name"
`

/** Builds the stand-in image inside the host's own Docker (see TRAEFIK_STANDIN_IMAGE); returns its name. */
export async function loadTraefikStandinImage(host: TestHost, name = TRAEFIK_STANDIN_IMAGE): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-th-traefik-standin-'))
  try {
    const bundle = await buildTraefikStandin(dir)
    rmSync(join(dir, 'traefik-standin.cjs'))
    const files = join(dir, 'files')
    mkdirSync(files)
    writeFileSync(join(files, 'standin.cjs'), bundle)
    // Traefik's self-signed fallback for names it has no certificate for.
    const cert = selfSignedCert({cn: 'TRAEFIK DEFAULT CERT', days: 365})
    writeFileSync(join(files, 'default.key'), cert.key)
    writeFileSync(join(files, 'default.crt'), cert.cert)
    const tar = execFileSync('tar', ['-C', files, '-c', '.'])
    const r = await host.exec(['sh', '-c', IMPORT_SCRIPT, 'sh', name], {input: tar, timeoutMs: 120_000})
    if (r.code !== 0) throw new Error(`building ${name} on ${host.name} failed (${r.code}): ${r.stderr.trim()}`)
    return name
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
