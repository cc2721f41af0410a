/**
 * The one way rdc connects to a machine of the context (repo, dns, routes, push-infra and diagnose all use it):
 * the SSH target from the machine's settings, the pinned host key checked before anything runs, and a Transport
 * named after the machine. ssh2 is loaded only here and only when a command connects, so start-up stays fast.
 */
import type {Context, Machine} from '../config/schema.js'
import type {SshTarget} from './ssh-connect.js'
import type {SshTransport} from './transport.js'

export const CONNECT_TIMEOUT_MS = 15_000

export interface ConnectOptions {
  /** For the TCP connection and the login; CONNECT_TIMEOUT_MS unless the caller has its own (diagnose's --timeout). */
  timeoutMs?: number
}

export type ConnectTarget = SshTarget & {name: string}

/** Where the machine's settings (and ~/.ssh/config) say to connect; a bad setting throws here, before any I/O. */
export async function machineTarget(machineName: string, machine: Machine, context: Context): Promise<ConnectTarget> {
  const {sshTargetFor} = await import('./ssh-connect.js')
  return {...(await sshTargetFor(machine, context)), name: machineName}
}

/** Connects to a target from machineTarget: host key checked, then a Transport named after the machine. */
export async function connectTo(target: ConnectTarget, o: ConnectOptions = {}): Promise<SshTransport> {
  const {connectSsh} = await import('./ssh-connect.js')
  const {SshTransport} = await import('./transport.js')
  const client = await connectSsh(target, {timeoutMs: o.timeoutMs ?? CONNECT_TIMEOUT_MS})
  return new SshTransport(client, target.name)
}

export async function connectMachine(machineName: string, machine: Machine, context: Context, o: ConnectOptions = {}): Promise<SshTransport> {
  return connectTo(await machineTarget(machineName, machine, context), o)
}
