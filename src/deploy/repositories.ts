/**
 * Repository records in the context: create (allocating the network id), list, and the lookup every other repo
 * command starts from. Offline: nothing here connects to a server.
 */
import {resolve} from 'node:path'

import {suggestName} from '../config/did-you-mean.js'
import {expandHome} from '../config/paths.js'
import {getContext, getMachine, resolveContext} from '../config/resolve.js'
import type {Context, Machine, Repository} from '../config/schema.js'
import type {ConfigStore} from '../config/store.js'
import {validateName, validateSize} from '../config/validate.js'
import {ConflictError, NotFoundError, UsageError} from '../errors.js'
import {networkCidr, nextFreeNetworkId} from '../net/network.js'
import {createLine} from './create-hint.js'
import {repoLocation, type RepoLocation} from './layout.js'

export interface RepositorySummary {
  name: string
  machine: string
  networkId: number
  /** The /26 its services' addresses come from. */
  network: string
  path?: string
  size?: string
}

export function summarizeRepository(name: string, repo: Repository): RepositorySummary {
  return {name, machine: repo.machine, networkId: repo.networkId, network: networkCidr(repo.networkId), ...(repo.path ? {path: repo.path} : {}), ...(repo.size ? {size: repo.size} : {})}
}

/** Kept here too: repo create's callers and tests know it from this module. */
export {validateSize} from '../config/validate.js'

export interface CreateRepositoryOptions {
  store: ConfigStore
  contextName: string
  name: string
  machine: string
  /** Local folder; stored as an absolute path (relative to `cwd`). */
  path?: string
  size?: string
  cwd?: string
}

/** Records the repository and gives it the lowest network id free on its machine (2816 + 64·n). */
export async function createRepository(o: CreateRepositoryOptions): Promise<RepositorySummary & {context: string}> {
  validateName(o.name, 'name', 'repository name')
  const size = o.size === undefined ? undefined : validateSize(o.size)
  const path = o.path === undefined ? undefined : resolve(o.cwd ?? process.cwd(), expandHome(o.path))
  return o.store.update((config) => {
    const context = getContext(config, o.contextName)
    getMachine(config, o.contextName, o.machine)
    const existing = context.repositories[o.name]
    if (existing) {
      throw new ConflictError(`Context "${o.contextName}" already has a repository named "${o.name}" (on ${existing.machine}, network ${existing.networkId}).`, {
        suggestion: `Pick another name, or delete it first: rdc repo delete ${o.name}`,
      })
    }

    const taken = Object.values(context.repositories)
      .filter((r) => r.machine === o.machine)
      .map((r) => r.networkId)
    const repo: Repository = {machine: o.machine, networkId: nextFreeNetworkId(taken), ...(path ? {path} : {}), ...(size ? {size} : {})}
    context.repositories[o.name] = repo
    return {...summarizeRepository(o.name, repo), context: o.contextName}
  })
}

export function listRepositories(context: Context, machine?: string): RepositorySummary[] {
  return Object.entries(context.repositories)
    .filter(([, r]) => machine === undefined || r.machine === machine)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, r]) => summarizeRepository(name, r))
}

export interface RepoTarget {
  store: ConfigStore
  contextName: string
  context: Context
  name: string
  repo: Repository
  machineName: string
  machine: Machine
  location: RepoLocation
}

export function getRepository(context: Context, contextName: string, name: string, hint: {machine?: string; mount?: boolean} = {}): Repository {
  const repo = context.repositories[name]
  if (!repo) {
    const create = createLine(name, context, hint)
    const guess = suggestName(name, Object.keys(context.repositories), 'repository', '')
    throw new NotFoundError(`No repository named "${name}" in context "${contextName}".`, {
      suggestion: guess ? `${guess} Or create it, then run this again: ${create}` : `Create it (offline: it records the folder and gives it a network id), then run this again: ${create}`,
    })
  }

  return repo
}

/**
 * The repository, its machine and its server paths. `machine` (the -m flag) is optional: the recorded machine is
 * used, and a different one is refused (a repository lives on one machine; its network id was allocated there).
 */
export async function resolveRepository(o: {configPath?: string; contextName?: string; name: string; machine?: string; mount?: boolean}): Promise<RepoTarget> {
  const {store, contextName, context} = await resolveContext({configPath: o.configPath, context: o.contextName})
  if (o.machine !== undefined) getMachine({version: 1, contexts: {[contextName]: context}}, contextName, o.machine)
  const repo = getRepository(context, contextName, o.name, {...(o.machine === undefined ? {} : {machine: o.machine}), ...(o.mount ? {mount: true} : {})})
  if (o.machine !== undefined && o.machine !== repo.machine) {
    throw new UsageError(`Repository "${o.name}" is on machine "${repo.machine}", not "${o.machine}".`, {
      field: '--machine',
      suggestion: `Use -m ${repo.machine} (or leave -m out), or create a repository of another name on ${o.machine}.`,
    })
  }

  const machine = getMachine({version: 1, contexts: {[contextName]: context}}, contextName, repo.machine)
  return {store, contextName, context, name: o.name, repo, machineName: repo.machine, machine, location: repoLocation(machine, o.name, repo.networkId)}
}

/** Removes the record (the server side is checked by the caller first). */
export async function removeRepositoryRecord(store: ConfigStore, contextName: string, name: string): Promise<void> {
  await store.update((config) => {
    const context = getContext(config, contextName)
    getRepository(context, contextName, name)
    delete context.repositories[name]
  })
}
