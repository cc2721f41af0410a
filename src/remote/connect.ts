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
  /** Called with the resolved target before connecting, so a caller can name it even when the connection fails. */
  onTarget?: (target: SshTarget) => void
}

export async function connectMachine(machineName: string, machine: Machine, context: Context, o: ConnectOptions = {}): Promise<SshTransport> {
  const {connectSsh, sshTargetFor} = await import('./ssh-connect.js')
  const {SshTransport} = await import('./transport.js')
  const target = {...(await sshTargetFor(machine, context)), name: machineName}
  o.onTarget?.(target)
  const client = await connectSsh(target, {timeoutMs: o.timeoutMs ?? CONNECT_TIMEOUT_MS})
  return new SshTransport(client, machineName)
}
