import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BUSYBOX_IMAGE, UDP_ECHO_IMAGE, UDP_ECHO_SOURCE, writeBusyboxRootfs} from '../support/images.js'
import {TestHost} from './host.js'

export {BUSYBOX_IMAGE, UDP_ECHO_IMAGE} from '../support/images.js'

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
 * An image with the host's own Node.js (`node` on the PATH, with the libraries `ldd` lists and Debian's
 * /usr/share/nodejs), for backends busybox cannot be: a TLS server with its own certificate behind a passthrough
 * router, say. Built inside the host (about 2 s), since the test machine's Node is another version and build.
 */
export const NODE_IMAGE = 'rdc-test/node:local'

const NODE_IMPORT_SCRIPT = `set -eu
name="$1"
root=$(mktemp -d /tmp/rdc-node-image.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/srv"
chmod 1777 "$root/tmp"
cp /usr/bin/node "$root/usr/local/bin/node"
# Debian's Node.js loads some of its own internals (cjs-module-lexer, undici, acorn) from /usr/share/nodejs.
mkdir -p "$root/usr/share"
cp -a /usr/share/nodejs "$root/usr/share/"
for lib in $(ldd /usr/bin/node | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/local/bin' --change 'CMD ["node"]' - "$name" >/dev/null
echo "$name"
`

/** Builds NODE_IMAGE in the host's own Docker; returns its name. */
export async function loadNodeImage(host: TestHost, name = NODE_IMAGE): Promise<string> {
  const r = await host.exec(['sh', '-c', NODE_IMPORT_SCRIPT, 'sh', name], {timeoutMs: 120_000})
  if (r.code !== 0) throw new Error(`building ${name} on ${host.name} failed (${r.code}): ${r.stderr.trim()}`)
  return name
}
