/**
 * `npm run demo` (= `demo up`) / `npm run demo -- down`: one test host, shown step by step as a user would meet a
 * fresh server. The rdc steps (context, machine with its pinned key, infrastructure, push-infra, repo up on
 * examples/, diagnose) join this list as those commands land in the CLI.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {cleanupInstance} from '../test/testhost/cleanup.js'
import {ensureImageCache} from '../test/testhost/image.js'
import {loadBusyboxImage, loadProxyStandinImage, PROXY_STANDIN_PING, startTestHostSession, TestHost} from '../test/testhost/index.js'
import {instanceLayout, REPO_ROOT} from '../test/testhost/instance.js'
import {forgetSavedHosts, knownHostsFile, saveHosts} from '../test/testhost/saved-hosts.js'

const layout = instanceLayout('demo')
let stepNo = 0

async function step<T>(title: string, fn: () => Promise<T>): Promise<T> {
  stepNo++
  process.stdout.write(`\n${stepNo}. ${title}\n`)
  const started = Date.now()
  const value = await fn()
  process.stdout.write(`   done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  return value
}

function sshArgs(host: TestHost, command: string): string[] {
  return ['-i', host.privateKeyPath, '-o', `UserKnownHostsFile=${knownHostsFile(layout)}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-p', String(host.port), `${host.user}@${host.address}`, command]
}

/** rdc commands present in the built CLI (dist/commands/<topic>/<name>.js), as "topic name". */
function builtCommands(): string[] {
  const root = join(REPO_ROOT, 'dist/commands')
  if (!existsSync(root)) return []
  return readdirSync(root, {withFileTypes: true}).flatMap((topic) =>
    topic.isDirectory()
      ? readdirSync(join(root, topic.name)).filter((f) => f.endsWith('.js')).map((f) => `${topic.name} ${f.slice(0, -3)}`)
      : topic.name.endsWith('.js') ? [topic.name.slice(0, -3)] : [],
  )
}

async function up(): Promise<void> {
  await step('Test-host image (Debian bookworm: systemd, sshd, Docker, docker-compose, Node 18)', async () => {
    const r = await ensureImageCache((l) => console.log(`   ${l}`))
    console.log(`   ${r.built ? 'built' : 'cached'}: ${r.tarPath} (${JSON.stringify(r.meta.versions)})`)
  })

  const session = await step('Start one test host (a container booting real systemd, with its own address)', async () => {
    const s = await startTestHostSession(1, {role: 'demo', teardownOnExit: false, log: (l) => console.log(`   ${l}`)})
    saveHosts(layout, s.hosts)
    return s
  })
  const host = session.hosts[0]!
  console.log(`   ${host.name}: ${host.user}@${host.address}:${host.port}`)
  console.log(`   host key ${host.fingerprint} (pinned in ${knownHostsFile(layout)})`)

  await step('Log in over SSH with the test key, checking the pinned host key', async () => {
    const out = execFileSync('ssh', sshArgs(host, 'hostname; systemctl is-system-running; docker version --format "docker {{.Server.Version}}"; node --version; docker-compose --version'), {encoding: 'utf8'})
    for (const line of out.trim().split('\n')) console.log(`   ${line}`)
  })

  await step('Load the local images services and the proxy run from (no registry is reachable)', async () => {
    console.log(`   ${await loadBusyboxImage(host)}`)
    console.log(`   ${await loadProxyStandinImage(host)}  (answers ${PROXY_STANDIN_PING} with OK)`)
  })

  const commands = builtCommands()
  console.log(`\nrdc commands in this build: ${commands.length > 0 ? commands.join(', ') : 'none yet (npm run build makes dist/)'}`)
  console.log(`\nLog in:  ssh ${sshArgs(host, '').slice(0, -1).join(' ')}`)
  console.log('Remove:  npm run demo -- down')
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'up'
  if (command === 'up') {
    await up()
    return 0
  }

  if (command === 'down') {
    const report = cleanupInstance(layout)
    forgetSavedHosts(layout)
    console.log(`demo removed: ${report.containers.length} host(s), ${report.veths.length} veth pair(s)${report.dockerdPid ? ', the private dockerd' : ''}`)
    return 0
  }

  console.error('usage: npm run demo [-- up | down]')
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`)
    console.error('the demo host stays up for inspection; npm run demo -- down removes it')
    process.exit(1)
  },
)
