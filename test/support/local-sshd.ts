import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect as netConnect} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

/**
 * A real OpenSSH server on 127.0.0.1 for transport tests: its own host key, config, client key and
 * authorized_keys under `root`, logging in as the current user (root here) with SFTP enabled.
 */
export interface LocalSshd {
  host: '127.0.0.1'
  port: number
  user: string
  clientKeyPath: string
  /** The server's public host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string
  stop(): Promise<void>
}

function keygen(path: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`)
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

export async function startLocalSshd(options: {root: string; port: number}): Promise<LocalSshd> {
  const {root, port} = options
  rmSync(root, {recursive: true, force: true})
  mkdirSync(root, {recursive: true, mode: 0o700})
  // sshd refuses to start without its privilege separation folder.
  mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
  const hostKeyPath = join(root, 'host_key')
  const clientKeyPath = join(root, 'client_key')
  keygen(hostKeyPath)
  keygen(clientKeyPath)
  writeFileSync(join(root, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`), {mode: 0o600})
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
      'LogLevel ERROR',
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
    clientKeyPath,
    hostKey: `${type} ${key}`,
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
