import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createConnection} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

/**
 * A real OpenSSH server on 127.0.0.1 for tests: its own config, host key, authorized_keys and pid file in a
 * temp folder, so nothing of the machine's own sshd is used or changed.
 */
export interface TestSshd {
  port: number
  /** The host key's public half, OpenSSH one-line form (no comment). */
  hostKey: string
  /** What sshd logged (-e) since it started. */
  log(): string
  stop(): Promise<void>
}

export function sshKeygen(path: string, type = 'ed25519'): {privateKeyPath: string; publicKey: string} {
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', path], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`)
  return {privateKeyPath: path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}
}

/** `ssh-keygen -lf` of a public key file: "SHA256:…". */
export function sshKeygenFingerprint(pubPath: string): string {
  const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ssh-keygen -l failed: ${r.stderr}`)
  return r.stdout.split(/\s+/)[1]
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({host: '127.0.0.1', port}, () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    await sleep(50)
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
}

export async function startSshd(opts: {dir: string; port: number; hostKeyPath: string; authorizedKeys: string[]}): Promise<TestSshd> {
  mkdirSync(opts.dir, {recursive: true})
  // sshd insists on its privilege-separation folder even when it never uses it for our config.
  mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
  const authorized = join(opts.dir, 'authorized_keys')
  writeFileSync(authorized, `${opts.authorizedKeys.join('\n')}\n`, {mode: 0o600})
  const config = join(opts.dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${opts.port}`,
      'ListenAddress 127.0.0.1',
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${join(opts.dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  )
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-h', opts.hostKeyPath], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString()
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  try {
    await Promise.race([waitForPort(opts.port, 10_000), exited.then(() => Promise.reject(new Error(`sshd exited: ${log}`)))])
  } catch (error) {
    child.kill('SIGTERM')
    throw error
  }
  return {
    port: opts.port,
    hostKey: readFileSync(`${opts.hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '),
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await exited
      }
    },
  }
}
