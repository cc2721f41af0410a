/**
 * The proxy image test hosts and the demo run: the real Traefik release binary (see install.ts) in a minimal root
 * filesystem, imported into a test host's Docker under the name push-infra's default image would have
 * (`traefik:v<TRAEFIK_VERSION>`), so a machine set up with no --proxy-image runs exactly what a user's would.
 * Like the official image it runs `traefik` with the compose file's arguments (`--configFile=…`).
 */
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, chmodSync} from 'node:fs'
import {join} from 'node:path'

import {DEFAULT_PROXY_IMAGE} from '../../../src/infra/render/proxy.js'
import type {TestHost} from '../../testhost/host.js'
import {runOk} from '../../testhost/run.js'
import {ensureTraefikBinary, traefikVenv, TRAEFIK_VERSION} from './install.js'

/** The name push-infra uses when a machine sets no proxy image: test hosts get the real thing under it. */
export const TRAEFIK_IMAGE = DEFAULT_PROXY_IMAGE

/** Go's TLS stack reads the system roots from here; Traefik needs them for Let's Encrypt and Cloudflare. */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

/**
 * `<cache>/traefik-<version>/rootfs.tar`: /usr/local/bin/traefik, the CA bundle, /etc/nsswitch.conf (Go's
 * resolver reads it for the hosts order), /tmp. Made once per version and machine, reused by every host.
 */
export async function ensureTraefikRootfsTar(log: (line: string) => void = () => {}): Promise<string> {
  const binary = await ensureTraefikBinary(log)
  const tar = join(traefikVenv(), '..', 'rootfs.tar')
  if (existsSync(tar)) return tar
  const dir = mkdtempSync(join(traefikVenv(), '..', 'rootfs-'))
  try {
    for (const d of ['usr/local/bin', 'etc/ssl/certs', 'etc/traefik', 'tmp', 'letsencrypt']) mkdirSync(join(dir, d), {recursive: true})
    chmodSync(join(dir, 'tmp'), 0o1777)
    copyFileSync(binary, join(dir, 'usr/local/bin/traefik'))
    chmodSync(join(dir, 'usr/local/bin/traefik'), 0o755)
    if (existsSync(CA_BUNDLE)) copyFileSync(CA_BUNDLE, join(dir, CA_BUNDLE))
    writeFileSync(join(dir, 'etc/nsswitch.conf'), 'hosts: files dns\n')
    const partial = `${tar}.${process.pid}`
    await runOk('tar', ['--numeric-owner', '-C', dir, '-cf', partial, '.'])
    renameSync(partial, tar)
    return tar
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Imports the real Traefik into the host's own Docker as TRAEFIK_IMAGE (about 3 s: 185 MB); returns the name. */
export async function loadTraefikImage(host: TestHost, name = TRAEFIK_IMAGE): Promise<string> {
  const tar = await ensureTraefikRootfsTar()
  return host.loadImage(name, tar, {
    changes: [
      'ENTRYPOINT ["/usr/local/bin/traefik"]',
      'CMD []',
      `LABEL org.opencontainers.image.title=traefik org.opencontainers.image.version=${TRAEFIK_VERSION}`,
    ],
  })
}
