/**
 * Test hosts for people: `npm run testhost -- up [N] | down | status [--json] | ssh N [command…] | build`.
 * Hosts brought up here belong to the "cli" instance of this worktree, so running the test suite meanwhile
 * never removes them (and `down` never touches the suite's).
 */
import {spawnSync} from 'node:child_process'

import {DOCKER_CLI} from '../test/support/dockerd.js'
import {cleanupInstance, dockerdPid, instanceContainers, purgeInstance} from '../test/testhost/cleanup.js'
import {ensureImageCache, imageCacheDir, readImageMeta} from '../test/testhost/image.js'
import {startTestHostSession, sshBanner} from '../test/testhost/index.js'
import {auxiliaryInstanceIds, instanceLayout} from '../test/testhost/instance.js'
import {forgetSavedHosts, knownHostsFile, readSavedHosts, saveHosts, SavedHost} from '../test/testhost/saved-hosts.js'

const USAGE = `usage: npm run testhost -- <command>
  up [N]             start N test hosts (default 1), replacing any this worktree brought up before
  down               remove them (containers, veth pairs, the private dockerd)
  status [--json]    show them and whether each answers SSH
  ssh N [command…]   SSH into host N as root, pinning its host key
  build              build (or show) the cached test-host image
  purge              remove every instance of this worktree (suite, testhost, demo, bench) with its kept state
                     (imported image, key, subnet claim); the shared image cache stays
env: RDC_TESTHOST_INSTANCE, RDC_TESTHOST_STATE, RDC_TESTHOST_CACHE, RDC_TESTHOST_MIRROR (see test/testhost/README.md)`

const layout = instanceLayout('cli')
const log = (line: string) => process.stderr.write(`testhost: ${line}\n`)

function table(hosts: SavedHost[], answers?: boolean[]): string {
  return hosts
    .map((h, i) => `${h.index}  ${h.name}  ${h.user}@${h.address}:${h.port}  ${h.fingerprint}${answers ? (answers[i] ? '  ssh: up' : '  ssh: DOWN') : ''}`)
    .join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'up': {
      const n = rest[0] === undefined ? 1 : Number(rest[0])
      const started = Date.now()
      const session = await startTestHostSession(n, {role: 'cli', log, teardownOnExit: false})
      const saved = saveHosts(layout, session.hosts)
      console.log(`${n} test host(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s (instance ${layout.id}):`)
      console.log(table(saved))
      console.log(`key: ${layout.privateKeyPath}\nknown_hosts: ${knownHostsFile(layout)}\nouter docker: DOCKER_HOST=${session.dockerd.host} ${DOCKER_CLI} ps`)
      console.log('npm run testhost -- ssh 1   # to log in;   npm run testhost -- down   # to remove them')
      return 0
    }

    case 'down': {
      const report = cleanupInstance(layout)
      forgetSavedHosts(layout)
      console.log(`removed ${report.containers.length} host(s), ${report.veths.length} veth pair(s)${report.dockerdPid ? ', the private dockerd' : ''}`)
      return 0
    }

    case 'status': {
      const hosts = readSavedHosts(layout)
      const running = new Set(instanceContainers(layout))
      const answers = await Promise.all(hosts.map((h) => sshBanner(h.address)))
      const meta = readImageMeta()
      if (rest.includes('--json')) {
        console.log(JSON.stringify({instance: layout.id, dockerdPid: dockerdPid(layout) ?? null, image: meta ?? null,
          hosts: hosts.map((h, i) => ({...h, running: running.has(h.name), sshAnswers: answers[i]}))}, null, 2))
        return 0
      }

      console.log(`instance ${layout.id}; private dockerd ${dockerdPid(layout) ? `pid ${dockerdPid(layout)}` : 'not running'}`)
      console.log(`image cache ${imageCacheDir()}: ${meta ? `built ${meta.builtAt} in ${meta.buildSeconds} s` : 'not built'}`)
      console.log(hosts.length > 0 ? table(hosts, answers) : 'no test hosts (npm run testhost -- up)')
      return 0
    }

    case 'ssh': {
      const n = Number(rest[0])
      const host = readSavedHosts(layout).find((h) => h.index === n)
      if (!host) {
        console.error(`no test host ${rest[0] ?? ''}; see npm run testhost -- status`)
        return 2
      }

      const r = spawnSync('ssh', ['-i', host.privateKeyPath, '-o', `UserKnownHostsFile=${knownHostsFile(layout)}`, '-o', 'StrictHostKeyChecking=yes',
        '-p', String(host.port), `${host.user}@${host.address}`, ...rest.slice(1)], {stdio: 'inherit'})
      return r.status ?? 1
    }

    case 'build': {
      const started = Date.now()
      const result = await ensureImageCache(log)
      console.log(result.built
        ? `built ${imageCacheDir()} in ${((Date.now() - started) / 1000).toFixed(1)} s`
        : `cached: ${imageCacheDir()} (built ${result.meta.builtAt} in ${result.meta.buildSeconds} s)`)
      console.log(JSON.stringify(result.meta.versions))
      return 0
    }

    case 'purge': {
      const aux = auxiliaryInstanceIds()
      const layouts = [
        ...(['test', 'cli', 'demo', 'bench'] as const).map((role) => instanceLayout(role)),
        ...[aux.killed, aux.neighbour].map((id) => instanceLayout('test', {...process.env, RDC_TESTHOST_INSTANCE: id})),
      ]
      for (const l of layouts) {
        const report = purgeInstance(l)
        console.log(`purged instance ${l.id} (${l.dir}): ${report.containers.length} host(s) removed`)
      }

      return 0
    }

    default:
      console.error(USAGE)
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`testhost: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
