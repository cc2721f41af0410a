import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect as netConnect} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

/**
 * A real OpenSSH server on 127.0.0.1 for tests: its own host key, config, client key and authorized_keys under
 * `root`, logging in as the current user (root here) with SFTP enabled, so nothing of the machine's own sshd is used
 * or changed. The one sshd fixture: transport and push tests use it as is, host-key tests give it the host key and
 * the authorized keys they swap between runs.
 */
export interface LocalSshd {
  host: '127.0.0.1'
  port: number
  user: string
  /** A client key of its own, authorized unless `authorizedKeys` replaced the list. */
  clientKeyPath: string
  /** The server's public host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string
  /** What sshd logged (-e, LogLevel VERBOSE) since it started: logins accepted or refused. */
  log(): string
  stop(): Promise<void>
}

/** A new key pair at `path` (no passphrase, no comment): its private key path and public key (`type base64`). */
export function sshKeygen(path: string, type = 'ed25519'): {privateKeyPath: string; publicKey: string} {
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', path], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`)
  return {privateKeyPath: path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}
}

/** `ssh-keygen -lf` of a public key file: "SHA256:…". */
export function sshKeygenFingerprint(pubPath: string): string {
  const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ssh-keygen -l failed: ${r.stderr}`)
  return r.stdout.split(/\s+/)[1]!
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({host: '127.0.0.1', port}, () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
}

export interface LocalSshdOptions {
  /** Its folder: emptied at start, removed at stop. */
  root: string
  port: number
  /** A host key of the caller's (default: a new one under root). */
  hostKeyPath?: string
  /** The public keys it accepts (default: its own client key's). */
  authorizedKeys?: string[]
}

export async function startLocalSshd(options: LocalSshdOptions): Promise<LocalSshd> {
  const {root, port} = options
  rmSync(root, {recursive: true, force: true})
  mkdirSync(root, {recursive: true, mode: 0o700})
  // sshd refuses to start without its privilege separation folder.
  mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
  const hostKeyPath = options.hostKeyPath ?? sshKeygen(join(root, 'host_key')).privateKeyPath
  const client = sshKeygen(join(root, 'client_key'))
  const authorized = options.authorizedKeys ?? [client.publicKey]
  writeFileSync(join(root, 'authorized_keys'), authorized.map((k) => `${k}\n`).join(''), {mode: 0o600})
  const config = join(root, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(root, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(root, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      'MaxSessions 50',
      'MaxStartups 50',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  )
  if (await portOpen(port)) throw new Error(`port ${port} is already in use`)
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-h', hostKeyPath], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  const deadline = Date.now() + 10_000
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`sshd did not start: ${log}`)
    }
    await sleep(50)
  }

  const [type, key] = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/)
  return {
    host: '127.0.0.1',
    port,
    user: process.env.USER ?? 'root',
    clientKeyPath: client.privateKeyPath,
    hostKey: `${type} ${key}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      rmSync(root, {recursive: true, force: true})
    },
  }
}

/** An ssh2 connection to the local sshd that checks its host key (the product's connect does the same). */
export async function connectLocalSshd(sshd: LocalSshd): Promise<import('ssh2').Client> {
  const {Client} = await import('ssh2')
  const expected = Buffer.from(sshd.hostKey.split(' ')[1]!, 'base64')
  const client = new Client()
  return new Promise((resolve, reject) => {
    client
      .on('ready', () => resolve(client))
      .on('error', reject)
      .connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKey: readFileSync(sshd.clientKeyPath),
        hostVerifier: (key: Buffer) => key.equals(expected),
        readyTimeout: 10_000,
      })
  })
}
