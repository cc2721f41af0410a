import {access, readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import type {Client, ConnectConfig} from 'ssh2'

import {expandHome} from '../config/paths.js'
import type {Context, Machine} from '../config/schema.js'
import {ConnectionError, HostKeyError} from '../errors.js'
import {readSshConfig} from './ssh-config.js'
import {fingerprintOf, hostKeyAlgorithmsFor, parseOpenSshKey, toOpenSshLine} from './ssh-keys.js'

export interface SshTarget {
  host: string
  port: number
  user: string
  privateKeyPath?: string
  /** Pinned key, OpenSSH one-line form. connectSsh refuses any other key. */
  hostKey?: string
  /** The machine's name, for messages and fixes. */
  name?: string
}

export interface SshTargetOptions {
  /** Defaults to ~/.ssh/config. */
  sshConfigPath?: string
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/**
 * Where and how to log in to a machine. The machine's host may be a ~/.ssh/config alias (HostName, Port,
 * IdentityFile apply); an explicit key (machine, then context) wins over IdentityFile; with none and no
 * ssh-agent, the usual ~/.ssh/id_* keys are tried.
 */
export async function sshTargetFor(machine: Machine, context?: Context, opts: SshTargetOptions = {}): Promise<SshTarget> {
  const cfg = await readSshConfig(machine.host, opts.sshConfigPath)
  let privateKeyPath = machine.privateKeyPath ?? context?.ssh.privateKeyPath
  if (!privateKeyPath) {
    for (const file of cfg.identityFiles) if (await exists(file)) {
      privateKeyPath = file
      break
    }
  }
  if (!privateKeyPath && !process.env.SSH_AUTH_SOCK) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const file = join(homedir(), '.ssh', name)
      if (await exists(file)) {
        privateKeyPath = file
        break
      }
    }
  }
  return {
    host: cfg.hostName ?? machine.host,
    // 22 is also the schema's default, so a Port from ~/.ssh/config applies unless another port was given.
    port: machine.port !== 22 ? machine.port : (cfg.port ?? 22),
    user: machine.user,
    privateKeyPath: privateKeyPath ? expandHome(privateKeyPath) : undefined,
    hostKey: machine.hostKey,
  }
}

async function loadClient(): Promise<typeof Client> {
  const ssh2 = await import('ssh2')
  return ssh2.Client
}

function where(target: SshTarget): string {
  return `${target.user}@${target.host}:${target.port}`
}

function unreachable(target: SshTarget, error: Error): ConnectionError {
  return new ConnectionError(`Cannot reach ${where(target)}: ${error.message}`, {
    suggestion: 'Check the address and port (rdc context machines), that sshd runs, and that a firewall lets you in.',
    cause: error,
  })
}

/**
 * Reads the server's host key. The handshake completes (so the server proved it holds the key) and the
 * connection is then closed without authenticating: no credentials are offered.
 */
export async function scanHostKey(target: SshTarget, opts: {timeoutMs: number}): Promise<{hostKey: string; fingerprint: string}> {
  const SshClient = await loadClient()
  return new Promise((resolve, reject) => {
    const client = new SshClient()
    let key: Buffer | undefined
    const finish = () => {
      client.end()
      if (key) resolve({hostKey: toOpenSshLine(key), fingerprint: fingerprintOf(key)})
    }
    client.on('error', (error: Error & {level?: string}) => {
      if (key && error.level === 'client-authentication') finish()
      else reject(unreachable(target, error))
    })
    client.on('ready', finish)
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: opts.timeoutMs,
      hostVerifier: (raw: Buffer) => {
        key = Buffer.from(raw)
        return true
      },
      authHandler: (_methods: unknown, _partial: unknown, next: (method: false) => void) => next(false),
    } as unknown as ConnectConfig)
  })
}

/**
 * Opens an authenticated connection. The server's key is compared with the pinned one inside ssh2's host
 * verifier, before any credential is sent; a different key is a HostKeyError and nothing runs.
 */
export async function connectSsh(target: SshTarget, opts: {timeoutMs: number}): Promise<Client> {
  const name = target.name ?? target.host
  if (!target.hostKey) {
    throw new HostKeyError(`No host key is pinned for ${name}.`, {suggestion: `Pin it: rdc context scan-keys ${name}`})
  }
  const pinned = parseOpenSshKey(target.hostKey, 'hostKey')
  let privateKey: Buffer | undefined
  if (target.privateKeyPath) {
    try {
      privateKey = await readFile(target.privateKeyPath)
    } catch (error) {
      throw new ConnectionError(`Cannot read the private key ${target.privateKeyPath}: ${(error as Error).message}`, {
        suggestion: 'Fix the path (add-machine --key, or ssh.privateKeyPath of the context), or use ssh-agent.',
        cause: error,
      })
    }
  }
  const SshClient = await loadClient()
  return new Promise((resolve, reject) => {
    const client = new SshClient()
    let received: Buffer | undefined
    client.on('ready', () => resolve(client))
    client.on('error', (error: Error & {level?: string}) => {
      client.end()
      if (received && !received.equals(pinned.blob)) {
        reject(
          new HostKeyError(
            `The host key of ${name} (${target.host}:${target.port}) has changed. Expected ${fingerprintOf(pinned.blob)}, received ${fingerprintOf(received)}. Nothing was run.`,
            {suggestion: `If the server was deliberately rebuilt, re-pin its key: rdc context scan-keys ${name}. Otherwise treat this as an attack.`},
          ),
        )
      } else if (!received && error.level === 'handshake' && /host key/i.test(error.message)) {
        reject(new HostKeyError(`${name} no longer offers a ${pinned.type} host key (the pinned one). Nothing was run.`, {suggestion: `If the server was deliberately rebuilt, re-pin its key: rdc context scan-keys ${name}.`}))
      } else if (error.level === 'client-authentication') {
        reject(
          new ConnectionError(`Login to ${where(target)} failed: ${error.message}`, {
            suggestion: `Check that the key (${target.privateKeyPath ?? 'from ssh-agent'}) is in ~${target.user}/.ssh/authorized_keys on the server.`,
            cause: error,
          }),
        )
      } else reject(unreachable(target, error))
    })
    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey,
        agent: process.env.SSH_AUTH_SOCK,
        readyTimeout: opts.timeoutMs,
        algorithms: {serverHostKey: hostKeyAlgorithmsFor(pinned.type) as never},
        hostVerifier: (raw: Buffer) => {
          received = Buffer.from(raw)
          return received.equals(pinned.blob)
        },
      })
    } catch (error) {
      reject(
        new ConnectionError(`Cannot use the private key ${target.privateKeyPath}: ${(error as Error).message}`, {
          suggestion: 'A key with a passphrase must be loaded into ssh-agent (ssh-add) instead.',
          cause: error,
        }),
      )
    }
  })
}
