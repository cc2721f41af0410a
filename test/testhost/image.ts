import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, closeSync, existsSync, openSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {DOCKER_CLI, mountsUnder} from '../support/dockerd.js'
import {cacheBase} from './instance.js'
import {acquireLock} from './lock.js'
import {run, runOk} from './run.js'
import {ensureTools} from './tools.js'

/** Bumped whenever the build steps below change in a way the package list does not show. */
export const RECIPE_VERSION = 5
export const SUITE = 'bookworm'
/** What a test host has: real systemd, sshd, Docker (and compose 1.29) and Node 18 for renet. */
export const PACKAGES = [
  'ca-certificates',
  'curl',
  'dbus',
  'docker-compose',
  'docker.io',
  'iproute2',
  'nodejs',
  'openssh-server',
  'procps',
  'systemd',
  'systemd-sysv',
] as const

export interface ImageMeta {
  key: string
  suite: string
  packages: string[]
  recipeVersion: number
  mirror: string
  builtAt: string
  /** Seconds the debootstrap + customisation + tar took when this cache entry was built. */
  buildSeconds: number
  /** Versions of what matters inside, read from the built root filesystem. */
  versions: Record<string, string>
}

/** Cache key: the suite, the package list (order does not matter) and the recipe version. */
export function imageKey(packages: readonly string[] = PACKAGES, recipeVersion = RECIPE_VERSION): string {
  return createHash('sha256')
    .update(JSON.stringify({suite: SUITE, packages: [...packages].sort(), recipe: recipeVersion}))
    .digest('hex')
    .slice(0, 12)
}

/** Name of the test-host image in the outer dockerd. */
export function imageName(): string {
  return `rdc-testhost:${imageKey()}`
}

export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheBase(env), imageKey())
}

/** The Debian mirror the machine's own apt sources name (RDC_TESTHOST_MIRROR overrides). */
export function debianMirror(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RDC_TESTHOST_MIRROR) return env.RDC_TESTHOST_MIRROR
  const uris: string[] = []
  const dir = '/etc/apt/sources.list.d'
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []
  for (const file of ['/etc/apt/sources.list', ...files]) {
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8')
    if (file.endsWith('.sources')) {
      for (const block of text.split(/\n\s*\n/)) {
        const uri = /^URIs:\s*(\S+)/m.exec(block)?.[1]
        const suites = /^Suites:\s*(.+)$/m.exec(block)?.[1]?.split(/\s+/) ?? []
        if (uri && suites.includes(SUITE)) uris.push(uri)
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim())
        if (m && m[2] === SUITE) uris.push(m[1]!)
      }
    }
  }

  return uris.find((u) => !u.includes('security')) ?? 'http://deb.debian.org/debian'
}

export function readImageMeta(env: NodeJS.ProcessEnv = process.env): ImageMeta | undefined {
  const file = join(imageCacheDir(env), 'meta.json')
  if (!existsSync(file) || !existsSync(join(imageCacheDir(env), 'rootfs.tar'))) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as ImageMeta
}

export interface EnsureImageResult {
  meta: ImageMeta
  /** True when this call built it; false when a cached build was reused. */
  built: boolean
  tarPath: string
}

/**
 * Makes sure the shared cache holds the root filesystem tar for the current package list. Builds it under a
 * lock, so two runs on the machine never debootstrap the same key at once; the second waits and reuses it.
 */
export async function ensureImageCache(log: (line: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<EnsureImageResult> {
  const dir = imageCacheDir(env)
  const tarPath = join(dir, 'rootfs.tar')
  const cached = readImageMeta(env)
  if (cached) return {meta: cached, built: false, tarPath}

  mkdirSync(cacheBase(env), {recursive: true})
  const release = await acquireLock(`${dir}.lock`, {onWait: (pid) => log(`waiting for pid ${pid}, which is building ${dir}`)})
  try {
    const again = readImageMeta(env)
    if (again) return {meta: again, built: false, tarPath}
    await ensureTools(log)
    const meta = await buildRootfsTar(dir, log, env)
    return {meta, built: true, tarPath}
  } finally {
    release()
  }
}

async function buildRootfsTar(dir: string, log: (line: string) => void, env: NodeJS.ProcessEnv): Promise<ImageMeta> {
  const started = Date.now()
  const work = `${dir}.build`
  // A killed debootstrap leaves proc/sys mounted inside its target.
  for (const mp of mountsUnder(work)) await run('umount', ['-l', mp])
  rmSync(work, {recursive: true, force: true})
  const rootfs = join(work, 'rootfs')
  mkdirSync(rootfs, {recursive: true})
  const mirror = debianMirror(env)
  log(`debootstrap ${SUITE} from ${mirror} into ${rootfs} (about 75 s; log ${join(work, 'debootstrap.log')})`)
  const logFile = join(work, 'debootstrap.log')
  const code = await runLogged('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, rootfs, mirror], logFile, {
    ...env,
    DEBIAN_FRONTEND: 'noninteractive',
  })
  if (code !== 0) {
    throw new Error(`debootstrap failed (exit ${code}); see ${logFile}:\n${readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n')}`)
  }

  for (const mp of mountsUnder(rootfs)) await run('umount', ['-l', mp])
  customiseRootfs(rootfs)
  const versions = {
    nodejs: await packageVersion(rootfs, 'nodejs'),
    'docker.io': await packageVersion(rootfs, 'docker.io'),
    'docker-compose': await packageVersion(rootfs, 'docker-compose'),
    'openssh-server': await packageVersion(rootfs, 'openssh-server'),
    systemd: await packageVersion(rootfs, 'systemd'),
  }

  log('packing the root filesystem')
  mkdirSync(dir, {recursive: true})
  await runOk('tar', ['--numeric-owner', '-C', rootfs, '-cf', join(dir, 'rootfs.tar.tmp'), '.'])
  renameSync(join(dir, 'rootfs.tar.tmp'), join(dir, 'rootfs.tar'))
  const meta: ImageMeta = {
    key: imageKey(),
    suite: SUITE,
    packages: [...PACKAGES],
    recipeVersion: RECIPE_VERSION,
    mirror,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    versions,
  }
  writeFileSync(join(dir, 'meta.json.tmp'), `${JSON.stringify(meta, null, 2)}\n`)
  renameSync(join(dir, 'meta.json.tmp'), join(dir, 'meta.json'))
  rmSync(work, {recursive: true, force: true})
  return meta
}

/** Runs a long step with its output going straight to LOGFILE, so a slow or stuck build can be watched. */
function runLogged(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const fd = openSync(logFile, 'a')
  return new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, args, {env, stdio: ['ignore', fd, fd]})
    child.on('error', reject)
    child.on('close', (c) => resolve(c ?? 1))
  }).finally(() => closeSync(fd))
}

async function packageVersion(rootfs: string, pkg: string): Promise<string> {
  const r = await run('chroot', [rootfs, 'dpkg-query', '-W', '-f=${Version}', pkg])
  return r.code === 0 ? r.stdout.trim() : 'unknown'
}

function write(rootfs: string, path: string, content: string, mode = 0o644): void {
  const full = join(rootfs, path)
  mkdirSync(join(full, '..'), {recursive: true})
  writeFileSync(full, content)
  chmodSync(full, mode)
}

/**
 * What makes the debootstrapped tree a machine of its own each time it boots:
 * - no SSH host keys and no machine id in the image: every host makes its own at boot, so two hosts never share a
 *   key and a test can pin one host's key and see another's refused;
 * - sshd offers only its ed25519 key, so the key a client is shown is the one `hostKey` reports;
 * - no package caches (they would only make the image bigger).
 */
function customiseRootfs(rootfs: string): void {
  for (const f of readdirSync(join(rootfs, 'etc/ssh'))) {
    if (f.startsWith('ssh_host_')) rmSync(join(rootfs, 'etc/ssh', f))
  }

  write(rootfs, 'etc/machine-id', '')
  rmSync(join(rootfs, 'var/lib/dbus/machine-id'), {force: true})
  write(
    rootfs,
    'etc/systemd/system/rdc-testhost-hostkey.service',
    [
      '[Unit]',
      'Description=Make this test host its own SSH host key',
      'Before=ssh.service',
      'ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key',
      '',
      '[Service]',
      'Type=oneshot',
      "ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key",
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  )
  mkdirSync(join(rootfs, 'etc/systemd/system/multi-user.target.wants'), {recursive: true})
  symlinkSync('/etc/systemd/system/rdc-testhost-hostkey.service', join(rootfs, 'etc/systemd/system/multi-user.target.wants/rdc-testhost-hostkey.service'))
  // The harness outside learns that boot has finished from a file in a folder it binds at BOOT_REPORT_DIR, not
  // from `docker exec` polls: an exec per host costs a docker CLI and a runc exec, CPU the parallel boots need.
  // Type=simple, so its own start does not hold up the boot it waits for.
  write(
    rootfs,
    'etc/systemd/system/rdc-testhost-boot-report.service',
    [
      '[Unit]',
      'Description=Tell the test harness that boot has finished, with the SSH host key',
      'After=ssh.service rdc-testhost-hostkey.service',
      `ConditionPathIsDirectory=${BOOT_REPORT_DIR}`,
      '',
      '[Service]',
      'Type=simple',
      `ExecStart=/bin/sh -c 'state=$$(systemctl is-system-running --wait); { echo "$$state"; cat /etc/ssh/ssh_host_ed25519_key.pub; } > ${BOOT_REPORT_DIR}/boot.tmp && mv ${BOOT_REPORT_DIR}/boot.tmp ${BOOT_REPORT_DIR}/boot'`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  )
  symlinkSync('/etc/systemd/system/rdc-testhost-boot-report.service', join(rootfs, 'etc/systemd/system/multi-user.target.wants/rdc-testhost-boot-report.service'))
  // sshd also starts on demand before the key unit has run when ssh.service is pulled in early; order it after.
  write(rootfs, 'etc/systemd/system/ssh.service.d/rdc-testhost.conf', '[Unit]\nAfter=rdc-testhost-hostkey.service\nWants=rdc-testhost-hostkey.service\n')
  write(rootfs, 'etc/ssh/sshd_config.d/rdc-testhost.conf', 'HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\nUseDNS no\n')
  // Units with nothing to do in a container (no consoles, kernel modules, hugepages, ext4 scrubbing, utmp) or
  // that only run later (timers): masked, because parallel boots on a 2-core machine compete for CPU.
  write(rootfs, 'etc/systemd/journald.conf.d/rdc-testhost.conf', '[Journal]\nStorage=volatile\n')
  // The system dockerd without iptables: a test host has no route out, so NAT and filter rules would do nothing,
  // and setting them up is half of dockerd's start-up time. Published ports still work (docker-proxy). Set on the
  // unit, not in /etc/docker/daemon.json, which every dockerd reads: per-repository daemons started with
  // --iptables=false would refuse to start over the same directive in both places.
  write(rootfs, 'etc/systemd/system/docker.service.d/rdc-testhost.conf', '[Service]\nEnvironment="DOCKER_OPTS=--iptables=false --ip6tables=false"\n')
  for (const unit of MASKED_UNITS) {
    const link = join(rootfs, 'etc/systemd/system', unit)
    rmSync(link, {force: true})
    symlinkSync('/dev/null', link)
  }

  rmSync(join(rootfs, 'var/cache/apt/archives'), {recursive: true, force: true})
  mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), {recursive: true})
  rmSync(join(rootfs, 'var/lib/apt/lists'), {recursive: true, force: true})
  mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), {recursive: true})
}

/** Where a host's boot report folder is bound (see customiseRootfs); the file in it is `boot`. */
export const BOOT_REPORT_DIR = '/var/lib/rdc-testhost'

/** See customiseRootfs. */
export const MASKED_UNITS = [
  'getty@tty1.service', 'console-getty.service', 'serial-getty@.service', 'getty.target',
  'e2scrub_reap.service', 'e2scrub_all.timer', 'systemd-modules-load.service', 'systemd-remount-fs.service',
  'dev-hugepages.mount', 'sys-kernel-debug.mount', 'sys-kernel-tracing.mount', 'sys-kernel-config.mount',
  'sys-fs-fuse-connections.mount', 'systemd-update-utmp.service', 'systemd-update-utmp-runlevel.service',
  'systemd-journal-flush.service', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'fstrim.timer',
  'dpkg-db-backup.timer', 'systemd-tmpfiles-clean.timer', 'modprobe@drm.service', 'modprobe@dm_mod.service',
  'modprobe@efi_pstore.service', 'modprobe@loop.service', 'modprobe@configfs.service', 'modprobe@fuse.service',
]

/** Imports the cached root filesystem into the outer dockerd as imageName() unless it is there already. */
export async function ensureHostImage(dockerEnv: NodeJS.ProcessEnv, tarPath: string): Promise<{name: string; imported: boolean}> {
  const name = imageName()
  if ((await run(DOCKER_CLI, ['image', 'inspect', name], {env: dockerEnv})).code === 0) return {name, imported: false}
  await runOk(
    DOCKER_CLI,
    ['import', '--change', 'ENV container=docker', '--change', 'CMD ["/lib/systemd/systemd"]', tarPath, name],
    {env: dockerEnv},
  )
  // Images of earlier package lists only take space in this instance's data root (about 600 MB each).
  const tags = (await runOk(DOCKER_CLI, ['images', 'rdc-testhost', '--format', '{{.Repository}}:{{.Tag}}'], {env: dockerEnv})).split('\n')
  const old = tags.filter((t) => t !== '' && t !== name)
  if (old.length > 0) await run(DOCKER_CLI, ['rmi', ...old], {env: dockerEnv})
  return {name, imported: true}
}
