import {spawn, type ChildProcess} from 'node:child_process'
import {createSocket} from 'node:dgram'

/** UDP/TCP port of the diagnose tests' dnsmasq on 127.0.0.1 (unique on this shared machine). */
export const DIAGNOSE_DNS_PORT = 53_717

export interface Dnsmasq {
  address: string
  stop(): Promise<void>
}

/** Answers once dnsmasq replies to a query (any reply: it is up). */
function pingDns(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => {
      s.close()
      resolve(false)
    }, 200)
    s.once('message', () => {
      clearTimeout(timer)
      s.close()
      resolve(true)
    })
    s.once('error', () => {
      clearTimeout(timer)
      s.close()
      resolve(false)
    })
    // Query for "." NS.
    s.send(Buffer.from('12340100000100000000000000000200 01'.replace(/ /g, ''), 'hex'), port, '127.0.0.1')
  })
}

/**
 * A real dnsmasq on loopback, answering only from its arguments (no upstream, no hosts file): e.g.
 * `--host-record=app.good.test,203.0.113.50`, `--address=/wild.test/198.51.100.7`, `--local=/nx.test/`.
 */
export async function startDnsmasq(records: string[], port = DIAGNOSE_DNS_PORT): Promise<Dnsmasq> {
  const child: ChildProcess = spawn(
    'dnsmasq',
    ['--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root', ...records],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${stderr}`)
    if (await pingDns(port)) return {address: `127.0.0.1:${port}`, stop}
  }
  await stop()
  throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${stderr}`)
}
