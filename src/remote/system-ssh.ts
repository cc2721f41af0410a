/**
 * `rdc context ssh`: the system's OpenSSH client, made to trust exactly the pinned host key. The key is written
 * to a known_hosts file of its own (a private temporary folder, removed afterwards) under a HostKeyAlias, with
 * StrictHostKeyChecking=yes: the user's known_hosts is neither read nor written, and any other key is refused.
 *
 * Why the system ssh rather than ssh2 with a PTY: it is the terminal users know (escape sequences, window size,
 * agent, their ~/.ssh/config), with nothing of it to re-implement in rdc; the pinning is the one thing rdc adds.
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {SshTarget} from './ssh-connect.js'
import {hostKeyAlgorithmsFor, parseOpenSshKey} from './ssh-keys.js'
import {shellCommand} from './transport.js'

/** The known_hosts line for the pinned key under the alias (never the host's name: the file is ours alone). */
export function knownHostsLine(alias: string, hostKey: string): string {
  const key = parseOpenSshKey(hostKey, 'hostKey')
  return `${alias} ${key.type} ${key.blob.toString('base64')}\n`
}

/** ssh's argv (without the program): pinned key only, the context's login, then the command (quoted once) if any. */
export function systemSshArgs(target: SshTarget & {hostKey: string}, o: {knownHostsPath: string; alias: string; command: string[]; tty?: boolean}): string[] {
  const key = parseOpenSshKey(target.hostKey, 'hostKey')
  return [
    '-o', `UserKnownHostsFile=${o.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `HostKeyAlias=${o.alias}`,
    '-o', `HostKeyAlgorithms=${hostKeyAlgorithmsFor(key.type).join(',')}`,
    '-o', 'CheckHostIP=no',
    '-o', 'UpdateHostKeys=no',
    ...(target.privateKeyPath ? ['-i', target.privateKeyPath, '-o', 'IdentitiesOnly=yes'] : []),
    ...(o.tty ? ['-t'] : []),
    '-p', String(target.port),
    '-l', target.user,
    '--',
    target.host,
    ...(o.command.length > 0 ? [shellCommand(o.command)] : []),
  ]
}

/** A private folder with the known_hosts file; `remove` deletes it. */
export async function pinnedKnownHosts(alias: string, hostKey: string): Promise<{path: string; remove: () => Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'rdc-ssh-'))
  const path = join(dir, 'known_hosts')
  await writeFile(path, knownHostsLine(alias, hostKey), {mode: 0o600})
  return {path, remove: () => rm(dir, {recursive: true, force: true})}
}
