/**
 * pebble-challtestsrv (Debian's pebble package) as the lab's record store: a mock DNS server that Pebble validates
 * DNS-01 against, fed through its HTTP management API. Both listen on 127.0.0.1 only; the DNS front relays to it.
 *
 * Behaviour of this version (2.4.0) that the lab works around, found by querying it:
 * - Unknown names: A and AAAA get 127.0.0.1 and ::1 unless -defaultIPv4/-defaultIPv6 are empty (we empty them, so
 *   a name nobody created answers NOERROR with no records rather than pointing at loopback). It never answers
 *   NXDOMAIN, SOA and NS (and MX, …) get NOTIMP, and every answer carries a SOA for challtestsrv.invalid.
 * - Names are matched byte for byte: "App.example.com." misses a record for "app.example.com.".
 * - /set-txt stores the host as given, and lookups use the FQDN: a host without the trailing dot is never
 *   found. /add-a and /add-aaaa add the dot themselves. All three append; /clear-* remove every value of a host.
 * So this module always sends lower-case FQDNs and replaces a host's whole set (clear, then add each value).
 */
import {freePort} from './free-port.js'
import {queryDns, TYPE} from './dns-wire.js'
import {startSupervised, type Supervised} from './supervised-process.js'

export const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv'

export interface ChallTestSrv {
  /** "127.0.0.1:port", UDP and TCP: what Pebble's -dnsserver and the DNS front use. */
  dnsAddress: string
  managementUrl: string
  /** Replace every TXT value of `host` (an empty list removes them). */
  setTxt(host: string, values: string[]): Promise<void>
  setA(host: string, addresses: string[]): Promise<void>
  setAaaa(host: string, addresses: string[]): Promise<void>
  process: Supervised
  stop(): Promise<void>
}

function fqdn(host: string): string {
  return `${host.toLowerCase().replace(/\.$/, '')}.`
}

async function post(base: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, {method: 'POST', body: JSON.stringify(body)})
  if (res.status !== 200) throw new Error(`challtestsrv ${path} answered ${res.status}: ${await res.text()}`)
}

async function answers(dnsAddress: string): Promise<boolean> {
  try {
    await queryDns(dnsAddress, 'ready.challtestsrv.invalid', TYPE.A, {timeoutMs: 300})
    return true
  } catch {
    return false
  }
}

export async function startChallTestSrv(): Promise<ChallTestSrv> {
  let lastError = ''
  for (let attempt = 0; attempt < 3; attempt++) {
    const dnsPort = await freePort(['127.0.0.1'], {udp: true})
    const managementPort = await freePort(['127.0.0.1'])
    const dnsAddress = `127.0.0.1:${dnsPort}`
    const managementUrl = `http://127.0.0.1:${managementPort}`
    const proc = await startSupervised('pebble-challtestsrv', CHALLTESTSRV, [
      '-dns01', dnsAddress,
      '-management', `127.0.0.1:${managementPort}`,
      // Only DNS is used; the other challenge servers would take ports (5001–5003) on every address.
      '-http01', '', '-https01', '', '-tlsalpn01', '',
      '-defaultIPv4', '', '-defaultIPv6', '',
    ])
    const deadline = Date.now() + 10_000
    let up = false
    while (Date.now() < deadline && proc.running()) {
      const mgmt = await fetch(`${managementUrl}/`).then(() => true, () => false)
      if (mgmt && (await answers(dnsAddress))) {
        up = true
        break
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    if (up) {
      // One change at a time: a clear-then-add for one host must not interleave with another for the same host.
      let queue: Promise<unknown> = Promise.resolve()
      const serial = <T>(job: () => Promise<T>): Promise<T> => {
        const next = queue.then(job, job)
        queue = next.catch(() => {})
        return next
      }
      const replace = (clear: string, add: (host: string, values: string[]) => Promise<void>) => (host: string, values: string[]) =>
        serial(async () => {
          await post(managementUrl, clear, {host: fqdn(host)})
          await add(fqdn(host), values)
        })
      return {
        dnsAddress,
        managementUrl,
        process: proc,
        setTxt: replace('/clear-txt', async (host, values) => {
          for (const value of values) await post(managementUrl, '/set-txt', {host, value})
        }),
        setA: replace('/clear-a', async (host, addresses) => {
          if (addresses.length > 0) await post(managementUrl, '/add-a', {host, addresses})
        }),
        setAaaa: replace('/clear-aaaa', async (host, addresses) => {
          if (addresses.length > 0) await post(managementUrl, '/add-aaaa', {host, addresses})
        }),
        stop: () => proc.stop(),
      }
    }
    await proc.stop()
    lastError = proc.output()
    if (!/address already in use/i.test(lastError)) break
  }
  throw new Error(`pebble-challtestsrv did not come up: ${lastError}`)
}
