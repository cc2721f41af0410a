import {hostAddresses, hostAddresses6} from './instance.js'
import {runOk, runSync} from './run.js'

export interface VethPlan {
  /** Stays in this machine's namespace, holds the outer address. */
  outerName: string
  /** Moved into the host's namespace and renamed eth0 there. */
  innerName: string
  outer: string
  inner: string
  cidr: number
  /** IPv6 twins of outer and inner (unique-local), so a host is dual-stack like the guide's servers. */
  outer6: string
  inner6: string
  cidr6: number
}

/** Names (≤ 15 bytes: "rth" + ≤6-char id + ≤2-digit n + side) and addresses of host n's veth pair. */
export function vethPlan(vethPrefix: string, subnet: string, n: number): VethPlan {
  const outerName = `${vethPrefix}${n}a`
  if (outerName.length > 15) throw new Error(`veth name ${outerName} is longer than the kernel's 15 bytes`)
  return {outerName, innerName: `${vethPrefix}${n}b`, ...hostAddresses(subnet, n), ...hostAddresses6(subnet, n)}
}

/**
 * Gives the container whose init is PID its own address: a veth pair, one end moved into its namespace. Two
 * process starts (an `ip -batch` outside, one shell inside the namespace) rather than one per step: hosts start in
 * parallel and every process start is CPU their boots compete for.
 */
export async function attachVeth(pid: number, plan: VethPlan): Promise<void> {
  const outside = [
    `link add ${plan.outerName} type veth peer name ${plan.innerName}`,
    `link set ${plan.innerName} netns ${pid}`,
    `addr add ${plan.outer}/${plan.cidr} dev ${plan.outerName}`,
    // nodad: usable at once, instead of "tentative" for the second or so duplicate address detection takes.
    `addr add ${plan.outer6}/${plan.cidr6} dev ${plan.outerName} nodad`,
    `link set ${plan.outerName} up`,
  ]
  const inside = [
    `addr add ${plan.inner}/${plan.cidr} dev eth0`,
    `addr add ${plan.inner6}/${plan.cidr6} dev eth0 nodad`,
    'link set eth0 up',
    'link set lo up',
  ]
  try {
    await runOk('ip', ['-batch', '-'], {input: `${outside.join('\n')}\n`})
    // Docker turns IPv6 off in a container without an IPv6 network; net.* sysctls belong to the namespace, and
    // eth0's own switch exists only once the interface has its name.
    const script = `ip link set ${plan.innerName} name eth0 && sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0 && ip -batch -`
    await runOk('nsenter', ['-t', String(pid), '-n', 'sh', '-c', script], {input: `${inside.join('\n')}\n`})
  } catch (error) {
    runSync('ip', ['link', 'del', plan.outerName])
    throw error
  }
}

/** Host-side veth names on this machine that start with PREFIX (this instance's, live or left behind). */
export function vethsWithPrefix(prefix: string): string[] {
  const out = runSync('ip', ['-o', 'link', 'show']).stdout
  const names: string[] = []
  for (const line of out.split('\n')) {
    // "12: rthab12c1a@if11: <…>" — the name is before "@" or ":".
    const m = /^\d+:\s+([^:@\s]+)/.exec(line)
    if (m && m[1]!.startsWith(prefix)) names.push(m[1]!)
  }

  return names
}

/** Deleting one end of a veth pair deletes both. */
export function removeVeths(prefix: string): string[] {
  const names = vethsWithPrefix(prefix)
  for (const name of names) runSync('ip', ['link', 'del', name])
  return names
}
