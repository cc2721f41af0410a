/** `rdc repo delete`: refused while the repository's containers run; `--purge` also removes its server data. */
import {ConflictError, UsageError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import {removeBootEntriesStep} from './boot.js'
import {acquireRepoLock, type RepoLock} from './lock.js'
import {runChecked} from '../remote/step.js'
import {removeRepositoryRecord, type RepoTarget} from './repositories.js'
import {purgeStep, runningContainersStep} from './steps.js'

export interface RepoDeleteResult {
  repository: string
  machine: string
  networkId: number
  purged: boolean
}

export async function repoDelete(o: {target: RepoTarget; connect: () => Promise<Transport>; purge?: boolean; force?: boolean}): Promise<RepoDeleteResult> {
  const {target} = o
  const {location: loc, machineName: machine} = target
  if (o.force && o.purge) throw new UsageError('--force removes only the record, without connecting; --purge needs the server.', {field: '--force', suggestion: 'Use one of them.'})
  if (o.force) {
    await removeRepositoryRecord(target.store, target.contextName, target.name)
    return {repository: target.name, machine, networkId: loc.networkId, purged: false}
  }

  const connection = await o.connect()
  let lock: RepoLock | undefined
  try {
    // Not while an up or down of it runs: its containers may be about to start.
    lock = await acquireRepoLock(connection, loc, machine, {action: 'delete', waitSeconds: 0})
    const t = lock.transport
    const running = (await runChecked(t, runningContainersStep(loc), machine, 'Listing the repository\'s containers')).stdout.trim()
    if (running) {
      const count = running.split('\n').length
      throw new ConflictError(`Repository "${target.name}" has ${count} running container${count === 1 ? '' : 's'} on ${machine}.`, {
        suggestion: `Stop it first: rdc repo down ${target.name} (or, for a server that is gone, remove only the record: rdc repo delete ${target.name} --force)`,
      })
    }

    if (o.purge) {
      await runChecked(t, purgeStep(loc), machine, `Removing ${loc.path}`)
      await runChecked(t, removeBootEntriesStep(loc), machine, `Removing ${loc.unit}'s boot entries`)
    }
  } finally {
    await lock?.release()
    await connection.close()
  }

  await removeRepositoryRecord(target.store, target.contextName, target.name)
  return {repository: target.name, machine, networkId: loc.networkId, purged: Boolean(o.purge)}
}
