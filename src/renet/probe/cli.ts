import {RENET_VERSION} from '../version.js'
import {runProbe} from './run.js'
import {parseSpec, SpecError} from './spec.js'
import type {ProbeReport, ProbeResult} from './types.js'

const USAGE = `Usage: renet probe [--json] <SPEC | ->

Runs network checks from this server, in parallel, each with a short timeout, and prints the results.
SPEC is JSON (or '-' to read it from standard input):
  {"timeoutMs": 1500, "checks": [
    {"id": "api", "kind": "tcp", "host": "127.0.11.2", "port": 8080},
    {"id": "health", "kind": "http", "url": "http://127.0.0.1:7111/health"},
    {"id": "docker", "kind": "http", "url": "http://docker/version", "socketPath": "/var/run/docker.sock"},
    {"id": "cert", "kind": "tls", "host": "203.0.113.50", "port": 443, "servername": "app.example.com"},
    {"id": "dns", "kind": "udp", "host": "127.0.0.1", "port": 53, "payload": "dns"}]}

Options:
  --json     Print {"version", "results": [...]} as JSON (default: one line per check)
`

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    process.stdin.on('data', (c: Buffer) => chunks.push(c))
    process.stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    process.stdin.once('error', reject)
  })
}

function line(r: ProbeResult): string {
  const extra =
    r.kind === 'http' && r.status !== undefined
      ? ` status=${r.status}`
      : r.kind === 'tls' && r.cert
        ? ` subject=${r.cert.subjectCN} issuer=${r.cert.issuerCN} notAfter=${r.cert.notAfter}`
        : ''
  return `${r.id}\t${r.kind}\t${r.outcome}\t${r.durationMs}ms${r.error ? ` ${r.error}` : ''}${extra}`
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }

  const json = argv.includes('--json')
  const rest = argv.filter((a) => a !== '--json')
  if (rest.length !== 1) {
    process.stderr.write(`renet probe: expected one SPEC argument (or '-')\n\n${USAGE}`)
    return 2
  }

  let spec
  try {
    spec = parseSpec(rest[0] === '-' ? await readStdin() : rest[0]!)
  } catch (error) {
    if (!(error instanceof SpecError)) throw error
    process.stderr.write(`renet probe: ${error.message}\n`)
    return 2
  }

  const results = await runProbe(spec)
  if (json) {
    const report: ProbeReport = {version: RENET_VERSION, results}
    process.stdout.write(`${JSON.stringify(report)}\n`)
  } else {
    for (const r of results) process.stdout.write(`${line(r)}\n`)
  }
  return 0
}
