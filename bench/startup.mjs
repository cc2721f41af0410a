#!/usr/bin/env node
// Start-up cost of the built CLI: median wall time of `rdc context show-infra <m> --json` against `node -e 0`,
// alternating runs so both see the same machine load. Needs `npm run build` and a fresh oclif.manifest.json.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.env.BENCH_RUNS ?? 15)
const dir = mkdtempSync(join(tmpdir(), 'rdc-bench-startup-'))
const env = {...process.env, RDC_CONFIG: join(dir, 'config.yaml'), RDC_CONTEXT: '', RDC_MACHINE: ''}
const bin = join(root, 'bin', 'run.js')

function run(args) {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, {cwd: dir, env, encoding: 'utf8'})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

try {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
  run([bin, 'context', 'create', 'bench'])
  run([bin, 'context', 'add-machine', 'server-1', '--host', '127.0.0.1', '--user', 'root', '--host-key', key])
  run([bin, 'context', 'set-infra', 'server-1', '--public-ipv4', '198.51.100.7', '--allow-private', '--base-domain', 'example.com', '--tcp-ports', '25,143'])
  const cli = []
  const node = []
  run([bin, 'context', 'show-infra', 'server-1', '--json']) // warm the file cache once
  for (let i = 0; i < runs; i++) {
    node.push(run(['-e', '0']))
    cli.push(run([bin, 'context', 'show-infra', 'server-1', '--json']))
  }
  const c = median(cli)
  const n = median(node)
  console.log(`runs:                               ${runs} each, alternating`)
  console.log(`rdc context show-infra --json:      ${c.toFixed(1)} ms (median)`)
  console.log(`node -e 0:                          ${n.toFixed(1)} ms (median)`)
  console.log(`ratio:                              ${(c / n).toFixed(2)} (target ≤ 1.8)`)
} finally {
  rmSync(dir, {recursive: true, force: true})
}
