/**
 * What `renet net up|down <network id>` does around a repository's daemon (run by its unit before dockerd starts
 * and after it stops), as data: the bridge, the daemon's address settings, and the iptables rules for its /22 —
 * outbound NAT, forwarding, and no forwarding into another repository's subnets. The daemon itself runs with
 * --iptables=false: several dockerd rewriting the same DOCKER chains would undo each other.
 */
import {CONTAINER_SUPERNET, type DaemonNetwork} from '../../net/daemon-network.js'

export interface NetCommand {
  argv: string[]
  /** For an idempotent add: the command that exits 0 when the rule is already there. */
  unless?: string[]
  /** A failure is expected (already gone, already there) and ignored. */
  mayFail?: boolean
}

const IPT = ['iptables', '-w']

/** The dockerd settings that depend on the repository (the rest are flags of the unit). */
export function daemonConfig(net: DaemonNetwork): Record<string, unknown> {
  return {bridge: net.bridge, 'default-address-pools': [{base: net.pool.base, size: net.pool.size}]}
}

function rule(table: string[], chain: string, spec: string[], insert: boolean): NetCommand {
  return {argv: [...IPT, ...table, insert ? '-I' : '-A', chain, ...(insert ? ['1'] : []), ...spec], unless: [...IPT, ...table, '-C', chain, ...spec]}
}

export function upCommands(net: DaemonNetwork): NetCommand[] {
  const related = ['-d', net.block, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']
  return [
    {argv: ['ip', 'link', 'add', net.bridge, 'type', 'bridge'], unless: ['ip', 'link', 'show', net.bridge]},
    {argv: ['ip', 'addr', 'replace', net.bridgeAddress, 'dev', net.bridge]},
    {argv: ['ip', 'link', 'set', net.bridge, 'up']},
    // The repository's chain, rebuilt on every start: its own subnets, nothing of other repositories, the rest out.
    {argv: [...IPT, '-N', net.chain], unless: [...IPT, '-L', net.chain, '-n']},
    {argv: [...IPT, '-F', net.chain]},
    {argv: [...IPT, '-A', net.chain, '-d', net.block, '-j', 'ACCEPT']},
    {argv: [...IPT, '-A', net.chain, '-d', CONTAINER_SUPERNET, '-j', 'DROP']},
    {argv: [...IPT, '-A', net.chain, '-j', 'ACCEPT']},
    rule([], 'FORWARD', ['-s', net.block, '-j', net.chain], true),
    rule([], 'FORWARD', related, true),
    rule(['-t', 'nat'], 'POSTROUTING', ['-s', net.block, '!', '-d', net.block, '-j', 'MASQUERADE'], false),
  ]
}

export function downCommands(net: DaemonNetwork): NetCommand[] {
  const related = ['-d', net.block, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']
  return [
    {argv: [...IPT, '-t', 'nat', '-D', 'POSTROUTING', '-s', net.block, '!', '-d', net.block, '-j', 'MASQUERADE'], mayFail: true},
    {argv: [...IPT, '-D', 'FORWARD', ...related], mayFail: true},
    {argv: [...IPT, '-D', 'FORWARD', '-s', net.block, '-j', net.chain], mayFail: true},
    {argv: [...IPT, '-F', net.chain], mayFail: true},
    {argv: [...IPT, '-X', net.chain], mayFail: true},
    {argv: ['ip', 'link', 'del', net.bridge], mayFail: true},
  ]
}
