import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'

import type {Context} from '../config/schema.js'
import {ConnectionError, HostKeyError, UsageError} from '../errors.js'
import {SshTransport, type Transport} from '../remote/transport.js'
import type {PushTarget} from './push.js'

/** OpenSSH-style fingerprint of a raw public key blob: `SHA256:…` without padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p
}

/**
 * One verified SSH connection for a push: the pinned host key is compared before authentication completes, so
 * a mismatch runs nothing. A bridge until the shared connect (with ~/.ssh/config support) is wired in.
 */
export async function connectForPush(target: PushTarget, ssh: Context['ssh'], timeoutMs = 15_000): Promise<Transport> {
  const {machine, machineName} = target
  if (!machine.hostKey) {
    throw new HostKeyError(`No host key is pinned for ${machineName}; refusing to connect to an unverified server.`, {
      suggestion: `Pin it when adding the machine (rdc context add-machine ${machineName} …) after checking its fingerprint.`,
    })
  }

  const pinned = Buffer.from(machine.hostKey.trim().split(/\s+/)[1] ?? '', 'base64')
  const keyPath = machine.privateKeyPath ?? ssh.privateKeyPath
  const privateKey = keyPath
    ? await readFile(expandHome(keyPath)).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`Cannot read the SSH key ${keyPath}: ${err.code ?? err.message}.`, {field: 'privateKeyPath'})
      })
    : undefined
  if (!privateKey && !process.env.SSH_AUTH_SOCK) {
    throw new UsageError(`No SSH key for ${machineName}: set privateKeyPath or start ssh-agent.`, {field: 'privateKeyPath'})
  }

  const {Client} = await import('ssh2')
  const client = new Client()
  let offered: Buffer | undefined
  return new Promise<Transport>((resolve, reject) => {
    try {
      connect()
    } catch (err) {
      // ssh2 throws synchronously for a key it cannot parse (wrong format, or encrypted without a passphrase).
      reject(
        new UsageError(`Cannot use the SSH key ${keyPath ?? '(agent)'} for ${machineName}: ${(err as Error).message}.`, {
          field: 'privateKeyPath',
          suggestion: 'Point privateKeyPath at an OpenSSH private key, or load an encrypted key into ssh-agent and leave privateKeyPath unset.',
        }),
      )
    }

    function connect(): void {
      client
        .on('ready', () => resolve(new SshTransport(client, machineName)))
        .on('error', (err: Error & {level?: string}) => {
          if (offered && !offered.equals(pinned)) {
            reject(
              new HostKeyError(`${machineName} (${machine.host}) presented host key ${fingerprint(offered)}, not the pinned ${fingerprint(pinned)}. Nothing was run.`, {
                suggestion: 'If the server was reinstalled, verify the new fingerprint out of band and pin it again; otherwise treat this as an attack.',
              }),
            )
            return
          }

          reject(new ConnectionError(`Cannot connect to ${machineName} (${machine.user}@${machine.host}:${machine.port}): ${err.message}`, {cause: err}))
        })
        .connect({
          host: machine.host,
          port: machine.port,
          username: machine.user,
          ...(privateKey ? {privateKey} : {agent: process.env.SSH_AUTH_SOCK}),
          readyTimeout: timeoutMs,
          hostVerifier: (key: Buffer) => {
            offered = key
            return key.equals(pinned)
          },
        })
    }
  })
}
