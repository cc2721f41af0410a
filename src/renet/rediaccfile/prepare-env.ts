/**
 * The environment every Rediaccfile step gets: REPOSITORY_*, DOCKER_HOST and `{SERVICE}_IP` for every service of
 * the repository. Slots are given out here, before `prep`, from the compose files beside the Rediaccfiles, so
 * even `prep` sees the IPs `renet compose` will use.
 */
import {serviceIp} from '../../net/network.js'
import {findComposeFile, readComposeFile} from '../compose/compose-file.js'
import {checkServiceNames} from '../compose/environment.js'
import {repositoryEnvironment} from '../compose/prepare.js'
import type {Repository} from '../compose/repository.js'
import type {Rediaccfile} from './discover.js'

export interface RepositoryEnvironment {
  env: Record<string, string>
  services: Record<string, {slot: number; ip: string}>
}

export function composeServiceNames(files: readonly Rediaccfile[]): {names: string[]; notes: string[]} {
  const owner = new Map<string, string>()
  const notes: string[] = []
  for (const file of files) {
    const path = findComposeFile(file.dir)
    if (path === null) continue
    const compose = readComposeFile(path)
    checkServiceNames(compose.services.keys(), () => path)
    for (const name of compose.services.keys()) {
      const first = owner.get(name)
      if (first === undefined) owner.set(name, file.folder)
      else notes.push(`service '${name}' is declared in both ${first} and ${file.folder}; they share one slot and IP`)
    }
  }

  const names = [...owner.keys()]
  checkServiceNames(names, (name) => `${owner.get(name)}`)
  return {names, notes}
}

export function prepareRepositoryEnvironment(repo: Repository, names: readonly string[]): RepositoryEnvironment {
  const {env, slots} = repositoryEnvironment(repo, names)
  const services = Object.fromEntries([...slots].map(([name, slot]) => [name, {slot, ip: serviceIp(repo.networkId, slot)}]))
  return {env, services}
}
