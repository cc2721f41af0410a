/**
 * `rdc context ssh MACHINE [-- CMD…]`: first the pinned key and the login are checked with rdc's own connection
 * (so a changed key is exit 5 and a refused login exit 6, as for every command), then the system ssh runs with
 * the terminal handed over and only the pinned key trusted (src/remote/system-ssh.ts).
 */
import {spawn} from 'node:child_process'

import type {Context, Machine} from '../config/schema.js'
import {HostKeyError, UsageError} from '../errors.js'
import {CONNECT_TIMEOUT_MS} from './connect.js'
import {connectSsh, sshTargetFor} from './ssh-connect.js'
import {pinnedKnownHosts, systemSshArgs} from './system-ssh.js'

export interface MachineShellResult {
  machine: string
  command: string[]
  exitCode: number
}

export async function machineShell(o: {machineName: string; machine: Machine; context: Context; command: string[]; tty?: boolean; stdio?: 'inherit' | ['inherit', 'pipe' | 'inherit', 'inherit']; onStdout?: (c: Buffer) => void; timeoutMs?: number}): Promise<MachineShellResult> {
  const target = {...(await sshTargetFor(o.machine, o.context)), name: o.machineName}
  if (!target.hostKey) throw new HostKeyError(`No host key is pinned for ${o.machineName}.`, {suggestion: `Pin it: rdc context scan-keys ${o.machineName}`})
  const client = await connectSsh(target, {timeoutMs: o.timeoutMs ?? CONNECT_TIMEOUT_MS})
  client.end()
  const alias = `rdc-${o.machineName}`
  const known = await pinnedKnownHosts(alias, target.hostKey)
  try {
    const args = systemSshArgs({...target, hostKey: target.hostKey}, {knownHostsPath: known.path, alias, command: o.command, ...(o.tty ? {tty: true} : {})})
    const exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn('ssh', args, {stdio: o.stdio ?? 'inherit'})
      child.stdout?.on('data', (c: Buffer) => o.onStdout?.(c))
      // The remote shell gets Ctrl-C through the terminal; rdc itself waits for ssh to end.
      const ignore = (): void => {}
      process.on('SIGINT', ignore)
      child.once('error', (error: NodeJS.ErrnoException) => {
        process.off('SIGINT', ignore)
        reject(
          error.code === 'ENOENT'
            ? new UsageError('The OpenSSH client (ssh) is not installed here.', {field: 'ssh', suggestion: 'Install it: sudo apt-get install openssh-client'})
            : error,
        )
      })
      child.once('close', (code, signal) => {
        process.off('SIGINT', ignore)
        resolve(code ?? (signal ? 128 + 1 : 255))
      })
    })
    return {machine: o.machineName, command: o.command, exitCode}
  } finally {
    await known.remove()
  }
}
