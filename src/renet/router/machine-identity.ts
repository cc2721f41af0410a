/**
 * This machine's own addresses and names, which a forwardAuth address may not name (label-isolation.ts). Read
 * from the kernel and /etc files rather than the network stack, which the unit's sandbox restricts.
 */
import {readFileSync} from 'node:fs'
import {hostname, networkInterfaces} from 'node:os'

/** Reads a file, or '' when it cannot be read. */
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/**
 * This machine's addresses. os.networkInterfaces() needs a netlink socket, which the unit's
 * RestrictAddressFamilies does not allow; /proc/net has the same facts: IPv4 addresses are the `/32 host LOCAL`
 * entries of fib_trie, IPv6 ones the first column of if_inet6.
 */
function localAddresses(): string[] {
  const out = new Set<string>()
  try {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address)
  } catch {
    // EAFNOSUPPORT under the unit's sandbox: /proc below.
  }

  let previous = ''
  for (const line of readOrEmpty('/proc/net/fib_trie').split('\n')) {
    if (line.includes('/32 host LOCAL')) out.add(previous)
    const m = /[|+]-- ([\d.]+)$/.exec(line)
    if (m) previous = m[1]
  }

  for (const line of readOrEmpty('/proc/net/if_inet6').split('\n')) {
    const hex = line.split(/\s+/)[0]
    if (/^[0-9a-f]{32}$/.test(hex)) out.add(hex.match(/.{4}/g)!.join(':'))
  }

  out.delete('')
  return [...out]
}

/**
 * This machine's addresses and the names that reach it without DNS (its hostname, /etc/hosts), so a forwardAuth
 * address cannot point back at the machine by another spelling. The route server runs in the host's network
 * namespace, as Traefik does (network_mode: host), so both see the same interfaces and hosts file.
 */
export function machineIdentity(): {localAddresses: string[]; localNames: string[]} {
  const localNames = [hostname()]
  for (const line of readOrEmpty('/etc/hosts').split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/)
    if (fields.length > 1) localNames.push(...fields.slice(1))
  }

  return {localAddresses: localAddresses(), localNames}
}
