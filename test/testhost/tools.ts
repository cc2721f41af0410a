import {existsSync} from 'node:fs'

import {run, runOk} from './run.js'

/** Programs the harness runs on this machine, and the Debian package that brings each. */
const NEEDED: Array<{path: string; pkg: string}> = [
  {path: '/usr/sbin/dockerd', pkg: 'docker.io'},
  {path: '/usr/bin/docker', pkg: 'docker.io'},
  {path: '/usr/sbin/debootstrap', pkg: 'debootstrap'},
  {path: '/usr/bin/ssh-keygen', pkg: 'openssh-client'},
  {path: '/usr/bin/nsenter', pkg: 'util-linux'},
  {path: '/bin/busybox', pkg: 'busybox-static'},
  // The UDP echo image (examples/udp-service) is compiled statically here; the demo's DNS zone is a dnsmasq.
  {path: '/usr/bin/cc', pkg: 'gcc'},
  {path: '/usr/include/stdio.h', pkg: 'libc6-dev'},
  {path: '/usr/sbin/dnsmasq', pkg: 'dnsmasq-base'},
  // Test certificates (the passthrough backend's, the ACME CA listener's) are made with openssl.
  {path: '/usr/bin/openssl', pkg: 'openssl'},
  // The demo's HTTPS requests through Traefik are made with curl, as a person would.
  {path: '/usr/bin/curl', pkg: 'curl'},
  {path: '/usr/bin/pebble', pkg: 'pebble'},
]

export function missingPackages(): string[] {
  const ip = existsSync('/usr/sbin/ip') || existsSync('/sbin/ip') || existsSync('/usr/bin/ip')
  const pkgs = NEEDED.filter((n) => !existsSync(n.path)).map((n) => n.pkg)
  if (!ip) pkgs.push('iproute2')
  return [...new Set(pkgs)]
}

/** Installs what is missing with apt-get (the harness runs as root on Debian/Ubuntu). */
export async function ensureTools(log: (line: string) => void = () => {}): Promise<void> {
  const missing = missingPackages()
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) throw new Error(`test hosts need root to install ${missing.join(', ')}`)
  log(`installing ${missing.join(', ')} with apt-get`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  await runOk('apt-get', ['update', '-qq'], {env})
  await runOk('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {env})
  const still = missingPackages()
  if (still.length > 0) throw new Error(`apt-get did not provide ${still.join(', ')}`)
}

export async function commandWorks(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await run(cmd, args)).code === 0
  } catch {
    return false
  }
}
