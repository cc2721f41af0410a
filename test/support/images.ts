import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {DOCKER_CLI} from './dockerd.js'

/** Name of the 1 MB test image: busybox-static with httpd, nc, sleep and a shell. */
export const BUSYBOX_IMAGE = 'rdc-test/busybox:local'

const BUSYBOX = '/bin/busybox'
const APPLETS = ['sh', 'httpd', 'nc', 'sleep', 'echo', 'cat', 'ls', 'mkdir', 'wget', 'env', 'kill', 'true', 'false', 'ps', 'printf', 'test', 'grep', 'sed']

/**
 * Writes a minimal root filesystem (busybox-static and its applets) into DIR and returns DIR. No image registry
 * is reachable here, so every image the tests use is made from this with `docker import`.
 */
export function writeBusyboxRootfs(dir: string): string {
  mkdirSync(join(dir, 'bin'), {recursive: true})
  for (const d of ['tmp', 'etc', 'var/www', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), {recursive: true})
  chmodSync(join(dir, 'tmp'), 0o1777)
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'))
  chmodSync(join(dir, 'bin/busybox'), 0o755)
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet))
  return dir
}

/** Imports the busybox image into the daemon at DOCKER_HOST `host` (idempotent). */
export function importBusyboxImage(host: string, name = BUSYBOX_IMAGE): string {
  return importRootfsImage(host, name, () => undefined)
}

/** Name of the UDP echo image examples/udp-service runs: the busybox image plus /bin/udp-echo. */
export const UDP_ECHO_IMAGE = 'rdc-test/udp-echo:local'

/** The C source of the UDP echo server (busybox has no UDP listener). */
export const UDP_ECHO_SOURCE = join(import.meta.dirname, 'udp-echo.c')

/**
 * Imports `rdc-test/udp-echo:local` into the daemon at `host` (idempotent): udp-echo.c is compiled statically
 * here, on the machine running the tests (`cc`, installed by .ci/run), so the servers and test hosts that run
 * the example need no compiler.
 */
export function importUdpEchoImage(host: string, name = UDP_ECHO_IMAGE): string {
  return importRootfsImage(host, name, (dir) => {
    const out = join(dir, 'bin', 'udp-echo')
    const cc = spawnSync('cc', ['-static', '-Os', '-o', out, UDP_ECHO_SOURCE], {encoding: 'utf8'})
    if (cc.status !== 0) throw new Error(`cc -static ${UDP_ECHO_SOURCE} failed (gcc and libc6-dev are needed): ${cc.error?.message ?? cc.stderr}`)
  })
}

function importRootfsImage(host: string, name: string, extend: (dir: string) => void): string {
  const env = {...process.env, DOCKER_HOST: host}
  const present = spawnSync(DOCKER_CLI, ['image', 'inspect', name], {env, stdio: 'ignore'})
  if (present.status === 0) return name
  const dir = mkdtempSync(join(tmpdir(), 'rdc-image-'))
  try {
    writeBusyboxRootfs(dir)
    extend(dir)
    const tar = spawnSync('tar', ['-C', dir, '-c', '.'], {maxBuffer: 64 * 1024 * 1024})
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`)
    execFileSync(DOCKER_CLI, ['import', '--change', 'CMD ["/bin/sh"]', '-', name], {env, input: tar.stdout, stdio: ['pipe', 'ignore', 'pipe']})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }

  return name
}
