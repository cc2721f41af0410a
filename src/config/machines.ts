import {access} from 'node:fs/promises'

import {ConflictError, UsageError} from '../errors.js'
import {readSshConfig} from '../remote/ssh-config.js'
import {scanHostKey, sshTargetFor} from '../remote/ssh-connect.js'
import {fingerprintOf, parseOpenSshKey} from '../remote/ssh-keys.js'
import {expandHome} from './paths.js'
import {getContext, getMachine} from './resolve.js'
import type {Context, Machine} from './schema.js'
import type {ConfigStore} from './store.js'
import {validateDatastore, validateHost, validateName, validateUser} from './validate.js'

export const SCAN_TIMEOUT_MS = 10_000

export interface MachineSummary {
  name: string
  host: string
  user: string
  port: number
  fingerprint?: string
  baseDomain?: string
}

export function summarize(name: string, machine: Machine): MachineSummary {
  return {
    name,
    host: machine.host,
    user: machine.user,
    port: machine.port,
    fingerprint: machine.hostKey ? fingerprintOf(parseOpenSshKey(machine.hostKey, 'hostKey').blob) : undefined,
    baseDomain: machine.infra.baseDomain,
  }
}

export function listMachines(context: Context): MachineSummary[] {
  return Object.entries(context.machines)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, m]) => summarize(name, m))
}

export interface AddMachineOptions {
  store: ConfigStore
  contextName: string
  name: string
  host: string
  user?: string
  port?: number
  privateKeyPath?: string
  /** Pin this key without connecting (CI). */
  hostKey?: string
  datastore?: string
  sshConfigPath?: string
}

/**
 * Adds a machine and pins its host key: the given one, or the one the server presents on a first connection.
 * User and port not given come from ~/.ssh/config (then the local user name and 22), and are stored.
 */
export async function addMachine(opts: AddMachineOptions): Promise<MachineSummary & {context: string; scanned: boolean}> {
  validateName(opts.name, 'name', 'machine name')
  const host = validateHost(opts.host)
  const pinned = opts.hostKey === undefined ? undefined : parseOpenSshKey(opts.hostKey)
  const datastore = opts.datastore === undefined ? undefined : validateDatastore(opts.datastore)
  const cfg = await readSshConfig(host, opts.sshConfigPath)
  const user = validateUser(opts.user ?? cfg.user ?? process.env.USER ?? 'root')
  const port = opts.port ?? cfg.port ?? 22
  let privateKeyPath: string | undefined
  if (opts.privateKeyPath) {
    privateKeyPath = expandHome(opts.privateKeyPath)
    await access(privateKeyPath).catch(() => {
      throw new UsageError(`--key: ${privateKeyPath} does not exist or cannot be read.`, {field: '--key', suggestion: 'Give the private key file (not the .pub), or leave --key out to use ssh-agent.'})
    })
  }
  const config = await opts.store.read()
  const context = getContext(config, opts.contextName)
  if (context.machines[opts.name]) throw exists(opts.name, opts.contextName)
  const machine: Machine = {host, user, port, infra: {}, ...(privateKeyPath ? {privateKeyPath} : {}), ...(datastore ? {datastore} : {})}
  let hostKey: string
  if (pinned) hostKey = `${pinned.type} ${pinned.blob.toString('base64')}`
  else hostKey = (await scanHostKey(await sshTargetFor(machine, context, {sshConfigPath: opts.sshConfigPath}), {timeoutMs: SCAN_TIMEOUT_MS})).hostKey
  machine.hostKey = hostKey
  await opts.store.update((fresh) => {
    const ctx = getContext(fresh, opts.contextName)
    if (ctx.machines[opts.name]) throw exists(opts.name, opts.contextName)
    ctx.machines[opts.name] = machine
  })
  return {...summarize(opts.name, machine), context: opts.contextName, scanned: !pinned}
}

function exists(name: string, context: string): ConflictError {
  return new ConflictError(`Context "${context}" already has a machine named "${name}".`, {
    suggestion: `Pick another name, or remove it first: rdc context remove-machine ${name}`,
  })
}

/** Reads the server's current host key and pins it, for after a deliberate rebuild. */
export async function scanKeys(opts: {store: ConfigStore; contextName: string; machineName: string; sshConfigPath?: string}): Promise<{
  machine: string
  oldFingerprint?: string
  newFingerprint: string
  changed: boolean
}> {
  const config = await opts.store.read()
  const machine = getMachine(config, opts.contextName, opts.machineName)
  const target = await sshTargetFor(machine, getContext(config, opts.contextName), {sshConfigPath: opts.sshConfigPath})
  const scanned = await scanHostKey({...target, name: opts.machineName}, {timeoutMs: SCAN_TIMEOUT_MS})
  const oldFingerprint = await opts.store.update((fresh) => {
    const m = getMachine(fresh, opts.contextName, opts.machineName)
    const old = m.hostKey ? fingerprintOf(parseOpenSshKey(m.hostKey, 'hostKey').blob) : undefined
    m.hostKey = scanned.hostKey
    return old
  })
  return {machine: opts.machineName, oldFingerprint, newFingerprint: scanned.fingerprint, changed: oldFingerprint !== scanned.fingerprint}
}

export async function removeMachine(opts: {store: ConfigStore; contextName: string; machineName: string}): Promise<{machine: string; context: string; repositories: string[]}> {
  return opts.store.update((config) => {
    getMachine(config, opts.contextName, opts.machineName)
    const context = getContext(config, opts.contextName)
    const repositories = Object.entries(context.repositories)
      .filter(([, r]) => r.machine === opts.machineName)
      .map(([n]) => n)
    if (repositories.length > 0) {
      throw new ConflictError(`Machine "${opts.machineName}" still has repositories: ${repositories.join(', ')}.`, {suggestion: 'Move or delete those repositories first.'})
    }
    delete context.machines[opts.machineName]
    return {machine: opts.machineName, context: opts.contextName, repositories}
  })
}
