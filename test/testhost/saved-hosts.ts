import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {TestHost} from './host.js'
import {InstanceLayout} from './instance.js'

/** What `npm run testhost -- up` leaves for later commands (status, ssh, the demo): plain data, no functions. */
export interface SavedHost {
  name: string
  index: number
  address: string
  /** Absent in files written before hosts had IPv6. */
  address6?: string
  port: number
  user: string
  privateKeyPath: string
  hostKey: string
  fingerprint: string
  dockerHost: string
}

export function savedHostsFile(layout: InstanceLayout): string {
  return join(layout.dir, 'hosts.json')
}

/** An OpenSSH known_hosts file pinning every saved host's key, for `ssh -o UserKnownHostsFile=…`. */
export function knownHostsFile(layout: InstanceLayout): string {
  return join(layout.dir, 'known_hosts')
}

export function saveHosts(layout: InstanceLayout, hosts: TestHost[]): SavedHost[] {
  const saved = hosts.map((h) => ({
    name: h.name,
    index: h.index,
    address: h.address,
    address6: h.address6,
    port: h.port,
    user: h.user,
    privateKeyPath: h.privateKeyPath,
    hostKey: h.hostKey,
    fingerprint: h.fingerprint,
    dockerHost: h.docker.host,
  }))
  writeFileSync(savedHostsFile(layout), `${JSON.stringify(saved, null, 2)}\n`)
  writeFileSync(knownHostsFile(layout), saved.map((h) => `${h.address} ${h.hostKey}\n`).join(''))
  return saved
}

export function readSavedHosts(layout: InstanceLayout): SavedHost[] {
  const file = savedHostsFile(layout)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SavedHost[]) : []
}

export function forgetSavedHosts(layout: InstanceLayout): void {
  rmSync(savedHostsFile(layout), {force: true})
  rmSync(knownHostsFile(layout), {force: true})
}
