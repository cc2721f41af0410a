/**
 * `renet net up|down <network id>`: the repository daemon's network, run by rediacc-docker@<id>.service
 * (ExecStartPre / ExecStopPost), so it comes back at boot and goes away when the daemon stops or the repository
 * is deleted. `up` also writes the daemon's config file (bridge and address pool) that dockerd is started with.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import {daemonNetwork} from '../../net/daemon-network.js'
import {daemonConfigPath} from '../../layout/server.js'
import {daemonConfig, downCommands, type NetCommand, upCommands} from './steps.js'

const USAGE = 'Usage: renet net up|down <network id>\n'

function run(argv: string[]): {code: number; stderr: string} {
  const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8'})
  return {code: r.status ?? 1, stderr: r.stderr ?? String(r.error ?? '')}
}

function apply(commands: readonly NetCommand[]): number {
  for (const command of commands) {
    if (command.unless !== undefined && run(command.unless).code === 0) continue
    const r = run(command.argv)
    if (r.code !== 0 && !command.mayFail) {
      process.stderr.write(`renet net: ${command.argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}\n`)
      return 1
    }
  }

  return 0
}

export function main(argv: string[]): number {
  const [action, id] = argv
  const networkId = Number(id)
  if ((action !== 'up' && action !== 'down') || !Number.isInteger(networkId)) {
    process.stderr.write(USAGE)
    return 2
  }

  let net
  try {
    net = daemonNetwork(networkId)
  } catch (error) {
    process.stderr.write(`renet net: ${(error as Error).message}\n`)
    return 2
  }

  const path = daemonConfigPath(networkId)
  if (action === 'down') {
    apply(downCommands(net))
    rmSync(path, {force: true})
    return 0
  }

  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, `${JSON.stringify(daemonConfig(net), null, 2)}\n`)
  // dockerd turns forwarding on as well; done here too so NAT works before its first network exists.
  try {
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n')
  } catch {}
  return apply(upCommands(net))
}
