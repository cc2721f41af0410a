/**
 * Everything renet compose does before docker compose runs: read the compose files, give their services slots,
 * build the environment, and write the override (plus cleaned copies where ports:/networks: must go).
 * Nothing is written when any input is bad, so a failed run starts nothing and leaves no half-made files.
 */
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {serviceIp} from '../../net/network.js'
import {checkCompat} from './compat.js'
import {composeFilePaths, readComposeFile, type ComposeFile} from './compose-file.js'
import {checkServiceNames, repositoryEnv, serviceIpEnv} from './environment.js'
import {cleanComposeFile, cleanCopyPath, isHostNetwork, OVERRIDE_FILE, renderOverride, type OverrideService} from './override.js'
import {dockerSocketMounts, socketPath} from './docker-socket.js'
import {interpolationEnv as withDotenv} from './dotenv.js'
import {declaredPorts} from './ports.js'
import {publishOnServiceIp} from './publish.js'
import type {Repository} from './repository.js'
import {ensureSlots} from './slots.js'

export interface PreparedCompose {
  /** The files to pass with -f, in order (cleaned copies in place of originals), the override last. */
  files: string[]
  overridePath: string
  /** REPOSITORY_* and `{SERVICE}_IP` for every service of the repository. */
  env: Record<string, string>
  services: OverrideService[]
  warnings: string[]
}

/** Reads the compose files of DIR (or the given ones) and the service names they declare, file order kept. */
export function readComposeFiles(dir: string, given: readonly string[] = []): {files: ComposeFile[]; names: string[]} {
  const files = composeFilePaths(dir, given).map((path) => readComposeFile(path))
  const names = [...new Set(files.flatMap((file) => [...file.services.keys()]))]
  checkServiceNames(names, (name) => files.find((file) => file.services.has(name))?.path ?? dir)
  return {files, names}
}

/** Slots for NAMES (allocating new ones) and the environment of the whole repository. */
export function repositoryEnvironment(repo: Repository, names: readonly string[]): {env: Record<string, string>; slots: Map<string, number>} {
  const {slots} = ensureSlots(repo.path, names)
  return {slots, env: {...serviceIpEnv(repo.networkId, slots), ...repositoryEnv(repo)}}
}

function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return
  writeFileSync(path, text)
}

export function prepareCompose(options: {repo: Repository; dir: string; files?: readonly string[]; env: NodeJS.ProcessEnv}): PreparedCompose {
  const {repo, dir} = options
  const {files, names} = readComposeFiles(dir, options.files)
  // A service keeps compose's networks unless its file puts it on the host network (the guide's style).
  const merged = new Map(names.map((name) => [name, Object.assign({}, ...files.map((file) => file.services.get(name) ?? {})) as Record<string, unknown>]))
  const host = (name: string): boolean => isHostNetwork(merged.get(name) ?? {})
  checkCompat(files, {hostNetwork: (name) => host(name)})
  const cleaned = files.map((file) => ({file, ...cleanComposeFile(file, host)}))
  const {env, slots} = repositoryEnvironment(repo, names)
  // docker compose interpolates with the project folder's .env too (the environment winning), so the port labels do.
  const interpolationEnv = {...withDotenv(dirname(files[0].path), options.env), ...env}
  const repoSocket = socketPath(repo.dockerHost)
  const socketNotes: string[] = []
  const publishNotes: string[] = []
  const services = names.map((name): OverrideService => {
    const ports = files
      .map((file) => file.services.get(name))
      .filter((spec) => spec !== undefined)
      .map((spec) => declaredPorts(spec, interpolationEnv))
    const union = (key: 'tcp' | 'udp') => [...new Set(ports.flatMap((p) => p[key]))].sort((a, b) => a - b)
    const sockets = repoSocket === null ? [] : files.flatMap((file) => dockerSocketMounts(file.services.get(name) ?? {}, interpolationEnv, repoSocket))
    for (const mount of sockets) {
      socketNotes.push(`service '${name}': ${mount.original} mounted from this repository's own daemon (${repoSocket}): it sees and manages only this repository's containers`)
    }

    const ip = serviceIp(repo.networkId, slots.get(name) as number)
    const volumes = sockets.length > 0 ? {volumes: sockets.map((mount) => mount.volume)} : {}
    const spec = merged.get(name) ?? {}
    if (host(name)) return {name, ip, networkId: repo.networkId, ports: {tcp: union('tcp'), udp: union('udp')}, ...volumes}
    // network_mode: service:x / container:x / none share or have no network of their own: nothing to publish.
    if (spec.network_mode !== undefined && spec.network_mode !== 'bridge') return {name, ip, networkId: repo.networkId, ports: {tcp: [], udp: []}, hostNetwork: false, ...volumes}
    const published = publishOnServiceIp(name, spec, ip, interpolationEnv)
    publishNotes.push(...published.notes)
    return {name, ip, networkId: repo.networkId, ports: published.declared, hostNetwork: false, publish: published.ports, ...volumes}
  })

  const paths = cleaned.map(({file, text}) => {
    const copy = cleanCopyPath(file.path)
    if (text === null) {
      rmSync(copy, {force: true}) // a copy left from when the file still had ports:
      return file.path
    }

    writeIfChanged(copy, text)
    return copy
  })
  const overridePath = join(dirname(files[0].path), OVERRIDE_FILE)
  writeIfChanged(overridePath, renderOverride(services, files[0].version))
  return {files: [...paths, overridePath], overridePath, env, services, warnings: [...cleaned.flatMap((c) => c.warnings), ...publishNotes, ...socketNotes]}
}

