/**
 * Pointing a machine at the ACME lab (test/support/acme/), as a user with a private ACME CA would point it at
 * theirs: the CA file, the set-infra flags, and the host's resolver. setUpMachine's `acme` option uses these; the
 * DNS tests and the demo use them with the DNS lab's fuller Cloudflare stand-in.
 */
import {writeFileSync} from 'node:fs'

import type {AcmeLab} from '../support/acme/index.js'
import type {TestHost} from '../testhost/index.js'

/**
 * Writes the lab's CA as a private ACME CA's users would give it to --acme-ca-cert: the root its HTTPS listener is
 * signed by (Traefik talks to it) and the root it issues certificates under (diagnose verifies served chains).
 */
export function writeAcmeCaFile(acme: AcmeLab, path: string): string {
  writeFileSync(path, `${acme.listenerCaPem.trim()}\n${acme.pebbleRootPem().trim()}\n`)
  return path
}

/**
 * set-infra flags that make the machine's `letsencrypt` resolver use the lab: Pebble's directory, its CA file (see
 * writeAcmeCaFile), the zone's resolver for lego's propagation check, and lego's Cloudflare API base URL (the ACME
 * lab's stand-in, or the DNS lab's). All of these are on the host's veth peer, the only address the host reaches.
 */
export function acmeInfraFlags(acme: AcmeLab, host: Pick<TestHost, 'peer'>, caFile: string, cloudflareBaseUrl = acme.cloudflareBaseUrl(host.peer)): string[] {
  return [
    '--acme-ca-server', acme.directoryUrl(host.peer),
    '--acme-ca-cert', caFile,
    '--dns-resolvers', acme.resolver(host.peer),
    '--proxy-env', `CLOUDFLARE_BASE_URL=${cloudflareBaseUrl}`,
  ]
}

/**
 * The host's resolver is the zone's DNS front, as a real server's resolver reaches Cloudflare's nameservers: lego's
 * authoritative check looks the NS names up through it (port 53, by name). Set before push-infra, since a
 * container takes its copy of /etc/resolv.conf when it is created.
 */
export async function useZoneResolver(host: TestHost, acme: AcmeLab): Promise<void> {
  const r = await host.exec(['sh', '-c', `printf 'nameserver %s\\n' "$1" > /etc/resolv.conf`, 'sh', acme.resolver(host.peer).replace(/:53$/, '')])
  if (r.code !== 0) throw new Error(`writing /etc/resolv.conf on ${host.name}: ${r.stderr}`)
}
