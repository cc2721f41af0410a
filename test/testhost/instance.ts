import {createHash} from 'node:crypto'
import {closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {runSync} from './run.js'

/**
 * Everything one test run creates is named after its instance id, so runs from different worktrees (or CI jobs)
 * on one machine never touch each other's daemons, containers, veth pairs or addresses.
 */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

const INSTANCE_PATTERN = /^[a-z0-9]{1,6}$/

/**
 * Who owns a set of hosts: the test suite, a person with `npm run testhost`, the demo, or the benchmark.
 * They get different instance ids, so a suite's cleanup never removes hosts someone brought up by hand.
 */
export type InstanceRole = 'test' | 'cli' | 'bench' | 'demo'

/** RDC_TESTHOST_INSTANCE, else the first 6 hex digits of sha256(repository root path [+ "#cli" / "#bench" / "#demo"]). */
export function instanceId(env: NodeJS.ProcessEnv = process.env, role: InstanceRole = 'test', repoRoot = REPO_ROOT): string {
  const given = env.RDC_TESTHOST_INSTANCE
  if (given !== undefined && given !== '') {
    // Six characters keep veth names ("rth" + id + index + side) within the kernel's 15-byte limit.
    if (!INSTANCE_PATTERN.test(given)) throw new Error(`RDC_TESTHOST_INSTANCE must be 1-6 of [a-z0-9], got "${given}"`)
    return given
  }

  return createHash('sha256').update(role === 'test' ? repoRoot : `${repoRoot}#${role}`).digest('hex').slice(0, 6)
}

const REAL_FILESYSTEMS_REJECTED = new Set(['overlayfs', 'overlay', 'tmpfs', 'ramfs', 'aufs', 'fuseblk', 'fuse'])

/** Filesystem type of DIR's nearest existing ancestor, as `stat -f -c %T` names it. */
export function filesystemType(dir: string): string {
  let probe = dir
  for (;;) {
    const r = runSync('stat', ['-f', '-c', '%T', probe])
    if (r.code === 0) return r.stdout.trim()
    const up = dirname(probe)
    if (up === probe) return 'unknown'
    probe = up
  }
}

/** Docker's overlay2 (outer and nested) needs its data on a real filesystem, not on overlay or tmpfs. */
export function isRealFilesystem(dir: string): boolean {
  return !REAL_FILESYSTEMS_REJECTED.has(filesystemType(dir))
}

/** Base folder for per-instance state: RDC_TESTHOST_STATE, else the first of /var/lib, /tmp on a real filesystem. */
export function stateBase(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RDC_TESTHOST_STATE) return env.RDC_TESTHOST_STATE
  for (const candidate of ['/var/lib/rdc-testhost', '/tmp/rdc-testhost']) {
    if (isRealFilesystem(candidate)) return candidate
  }

  throw new Error('neither /var/lib nor /tmp is on a real filesystem (overlay/tmpfs); set RDC_TESTHOST_STATE')
}

/** Shared image cache (all instances): RDC_TESTHOST_CACHE, else /var/cache/rdc-testhost. */
export function cacheBase(env: NodeJS.ProcessEnv = process.env): string {
  return env.RDC_TESTHOST_CACHE || '/var/cache/rdc-testhost'
}

/**
 * Extra instances the harness's own tests run beside the suite's (a run that gets killed, a neighbour): derived
 * from the suite's id so they stay unique to this worktree.
 */
export function auxiliaryInstanceIds(env: NodeJS.ProcessEnv = process.env): {killed: string; neighbour: string} {
  const base = instanceId(env, 'test').slice(0, 5)
  return {killed: `${base}k`, neighbour: `${base}n`}
}

export interface InstanceLayout {
  id: string
  /** <state>/<id>: everything this instance keeps. */
  dir: string
  dockerdRoot: string
  dockerdSocket: string
  /** Short on purpose: containerd's socket paths below it must stay under 108 bytes. */
  dockerdExecRoot: string
  hostsDir: string
  privateKeyPath: string
  /** Prefix of every container name. */
  containerPrefix: string
  /** Prefix of every veth name (host side `${prefix}${n}a`, container side `${prefix}${n}b`). */
  vethPrefix: string
  /** Docker label every container of this instance carries. */
  label: string
}

export function instanceLayout(role: InstanceRole = 'test', env: NodeJS.ProcessEnv = process.env): InstanceLayout {
  const id = instanceId(env, role)
  const dir = join(stateBase(env), id)
  return {
    id,
    dir,
    dockerdRoot: join(dir, 'dockerd'),
    dockerdSocket: join(dir, 'docker.sock'),
    dockerdExecRoot: `/run/rdc-th-${id}`,
    hostsDir: join(dir, 'hosts'),
    privateKeyPath: join(dir, 'id_ed25519'),
    containerPrefix: `rdc-th-${id}-`,
    vethPrefix: `rth${id}`,
    label: `rdc.testhost.instance=${id}`,
  }
}

/** Number of /24 subnets in 198.18.0.0/15 (RFC 2544's benchmarking range, never routed on the internet). */
export const SUBNET_COUNT = 512

/** 198.18.0.0/15 split into /24s: index k → "198.(18 + k>>8).(k & 255)". */
export function subnetPrefix(k: number): string {
  return `198.${18 + (k >> 8)}.${k & 255}`
}

/**
 * Claims a /24 for this instance. The first choice comes from the id's hash; a claim file created with O_EXCL in
 * <state>/subnets/ makes the choice exclusive, and an instance finds its own earlier claim again, so an instance
 * keeps its subnet across runs.
 */
export function claimSubnet(id: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = join(stateBase(env), 'subnets')
  mkdirSync(dir, {recursive: true})
  for (const name of readdirSync(dir)) {
    if (readFileSync(join(dir, name), 'utf8').trim() === id) return subnetPrefix(Number(name))
  }

  const start = Number.parseInt(createHash('sha256').update(`subnet:${id}`).digest('hex').slice(0, 8), 16) % SUBNET_COUNT
  for (let i = 0; i < SUBNET_COUNT; i++) {
    const k = (start + i) % SUBNET_COUNT
    let fd: number
    try {
      fd = openSync(join(dir, String(k)), 'wx')
    } catch {
      continue
    }

    writeSync(fd, `${id}\n`)
    closeSync(fd)
    return subnetPrefix(k)
  }

  throw new Error(`all ${SUBNET_COUNT} test subnets in 198.18.0.0/15 are claimed; remove stale files in ${dir}`)
}

/** The IPv6 twin of the test subnets: a unique-local /48 (RFC 4193, never routed on the internet). */
export const IPV6_PREFIX = 'fd72:6463:7468'

/**
 * IPv6 addresses of host n beside its IPv4 ones: the subnet "198.(18 + k>>8).(k & 255)" maps to the /64
 * fd72:6463:7468:<k hex>::/64 and host n gets the /126 at ::4(n-1) (outer end +1, host end +2), mirroring IPv4.
 */
export function hostAddresses6(prefix: string, n: number): {outer6: string; inner6: string; cidr6: number} {
  const [, second, third] = prefix.split('.').map(Number)
  const k = ((second! - 18) << 8) + third!
  const {outer, inner} = hostAddresses(prefix, n)
  const last = (a: string) => Number(a.split('.')[3]).toString(16)
  return {outer6: `${IPV6_PREFIX}:${k.toString(16)}::${last(outer)}`, inner6: `${IPV6_PREFIX}:${k.toString(16)}::${last(inner)}`, cidr6: 126}
}

/** Addresses of host n (1-based) in a subnet: a /30 each, outer end .4(n-1)+1, host end .4(n-1)+2. */
export function hostAddresses(prefix: string, n: number): {outer: string; inner: string; cidr: number} {
  if (!Number.isInteger(n) || n < 1 || n > 63) throw new Error(`test host number must be 1..63, got ${n}`)
  const base = 4 * (n - 1)
  return {outer: `${prefix}.${base + 1}`, inner: `${prefix}.${base + 2}`, cidr: 30}
}
