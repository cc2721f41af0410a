import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {spawnSync} from 'node:child_process'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BUSYBOX_IMAGE, UDP_ECHO_IMAGE, UDP_ECHO_SOURCE, writeBusyboxRootfs} from '../support/images.js'
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
