/**
 * A machine ready for repositories, set up the way a user does it: a test host (real systemd, sshd, Docker), then
 * the real CLI — context create, add-machine (pinned key), set-infra, push-infra with the real Traefik (imported
 * under push-infra's default image name, so no --proxy-image is needed). Optionally the proxy gets its certificates
 * from the ACME lab (Pebble over DNS-01 through the Cloudflare API stand-in), as with a private ACME CA.
 */
import {join} from 'node:path'

import type {AcmeLab} from '../support/acme/index.js'
import {startAcmeLab} from '../support/acme/index.js'
import {loadTraefikImage, type TestHost} from '../testhost/index.js'
import {acmeInfraFlags, useZoneResolver, writeAcmeCaFile} from './acme.js'
import type {Lab} from './lab.js'

export const MACHINE = 'm1'
export const CONTEXT = 'lab'

export interface MachineOptions {
  /** Default: m1 (MACHINE). */
  name?: string
  /** The base domain set-infra gives it (default example.com; false: none). */
  baseDomain?: string | false
  /**
   * Dual-stack on the host's own addresses (the default), so the guide's `websecure,websecure-v6` entry points both
   * exist and bind; false for IPv4 only.
   */
  ipv6?: boolean
  /** More set-infra flags (--tcp-ports, --cert-email, …). */
  infra?: string[]
}

export interface AcmeOptions {
  /** The Cloudflare token the stand-in accepts; set with --cf-dns-token. */
  token: string
  /** Zones the ACME lab serves (default example.com); the certificate e-mail is admin@ the first. */
  zones?: string[]
}

export interface AcmeMachine {
  acme: AcmeLab
  /** The lab's CA file given to --acme-ca-cert (see writeAcmeCaFile). */
  caFile: string
  /** The root Pebble issues under: what a client verifies the served chains against. */
  pebbleRoot: string
}

/** add-machine with the host's pinned key, then set-infra: a machine in the lab's current context, not yet pushed. */
export async function addMachine(lab: Lab, host: TestHost, options: MachineOptions = {}): Promise<void> {
  const name = options.name ?? MACHINE
  const addresses = ['--public-ipv4', host.address, ...(options.ipv6 === false ? [] : ['--public-ipv6', host.address6])]
  await expectOk(lab, ['context', 'add-machine', name, '--host', host.address, '--user', host.user, '--key', host.privateKeyPath, '--host-key', host.hostKey])
  const baseDomain = options.baseDomain === false ? [] : ['--base-domain', options.baseDomain ?? 'example.com']
  await expectOk(lab, ['context', 'set-infra', name, ...addresses, '--allow-private', ...baseDomain, ...(options.infra ?? [])])
}

/**
 * context create, add-machine, set-infra, push-infra: the machine as a user would set it up, running the real
 * Traefik. With `acme`, the ACME lab is started on the host's veth peer (the only address the host reaches), the
 * host's resolver pointed at its zone, and set-infra given the certificate e-mail, the token and the lab's ACME
 * settings; the lab is stopped again when the setup fails, so no Pebble outlives a failed beforeAll.
 */
export async function setUpMachine(lab: Lab, host: TestHost, options: MachineOptions & {acme: AcmeOptions}): Promise<AcmeMachine>
export async function setUpMachine(lab: Lab, host: TestHost, options?: MachineOptions): Promise<void>
export async function setUpMachine(lab: Lab, host: TestHost, options: MachineOptions & {acme?: AcmeOptions} = {}): Promise<AcmeMachine | void> {
  const {acme: acmeOptions, ...machine} = options
  if (!acmeOptions) return pushNewMachine(lab, host, machine)
  const zones = acmeOptions.zones ?? ['example.com']
  const acme = await startAcmeLab({addresses: [host.peer, host.peer6], zones, token: acmeOptions.token})
  try {
    await useZoneResolver(host, acme)
    const caFile = writeAcmeCaFile(acme, join(lab.dir, 'acme-ca.pem'))
    const infra = ['--cert-email', `admin@${zones[0]}`, '--cf-dns-token', acmeOptions.token, ...acmeInfraFlags(acme, host, caFile), ...(machine.infra ?? [])]
    await pushNewMachine(lab, host, {...machine, infra})
    return {acme, caFile, pebbleRoot: acme.pebbleRootPem()}
  } catch (error) {
    await acme.stop()
    throw error
  }
}

async function pushNewMachine(lab: Lab, host: TestHost, options: MachineOptions): Promise<void> {
  await loadTraefikImage(host)
  await expectOk(lab, ['context', 'create', CONTEXT, '--use'])
  await addMachine(lab, host, options)
  await expectOk(lab, ['context', 'push-infra', options.name ?? MACHINE])
}

async function expectOk(lab: Lab, args: string[]): Promise<void> {
  const r = await lab.cli(args)
  if (r.code !== 0) throw new Error(`rdc ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
}
