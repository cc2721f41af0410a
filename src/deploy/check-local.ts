/**
 * What can be refused before connecting: the folder, its Rediaccfiles and compose files. Uses renet's own readers
 * (the same parser, the same name rules), so a folder that passes here passes renet's checks on the server.
 */
import {statSync} from 'node:fs'

import {UsageError} from '../errors.js'
import {MAX_SLOTS} from '../net/network.js'
import {checkCompat} from '../renet/compose/compat.js'
import {COMPOSE_FILE_NAMES, findComposeFile, readComposeFile} from '../renet/compose/compose-file.js'
import {findRediaccfiles, type Step} from '../renet/rediaccfile/discover.js'
import {composeServiceNames} from '../renet/rediaccfile/prepare-env.js'

export interface LocalCheck {
  /** Folders holding a Rediaccfile ('.' for the root), in run order. */
  rediaccfiles: string[]
  composeFiles: string[]
  services: string[]
}

export function checkRepositoryFolder(dir: string, action: Step): LocalCheck {
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {}
  if (!isDir) {
    throw new UsageError(`The repository folder ${dir} does not exist.`, {field: '--path', suggestion: 'Give the folder holding the Rediaccfile with --path (or repo create --path).'})
  }

  const files = findRediaccfiles(dir)
  if (files.length === 0) {
    throw new UsageError(`${dir} has no Rediaccfile (at its root or in a first-level folder).`, {
      field: '--path',
      suggestion: 'Add a Rediaccfile with an up() function (and prep()/down() as needed) beside the compose file.',
    })
  }

  if (action !== 'down') {
    const withoutUp = files.filter((f) => !f.functions.has('up'))
    if (withoutUp.length > 0) {
      throw new UsageError(`${withoutUp.map((f) => f.path).join(', ')} ${withoutUp.length === 1 ? 'has' : 'have'} no up function.`, {
        field: 'Rediaccfile',
        suggestion: 'Define it, e.g. up() { renet compose -- up -d; }',
      })
    }
  }

  const composeFiles = files.map((f) => findComposeFile(f.dir)).filter((p): p is string => p !== null)
  if (composeFiles.length === 0) {
    throw new UsageError(`${dir} has no compose file beside its Rediaccfile${files.length === 1 ? '' : 's'}.`, {
      field: 'compose file',
      suggestion: `Add one of ${COMPOSE_FILE_NAMES.join(', ')} beside the Rediaccfile.`,
    })
  }

  // Parse errors come back as `file:line:column: …` from renet's reader.
  const parsed = composeFiles.map((path) => readComposeFile(path))
  // What only the server would refuse (links on the host network, keys newer than its docker-compose 1.29).
  checkCompat(parsed)
  const {names} = composeServiceNames(files)
  if (names.length > MAX_SLOTS) {
    throw new UsageError(`The repository declares ${names.length} services; a repository has room for ${MAX_SLOTS}.`, {
      field: 'services',
      suggestion: 'Split it into two repositories.',
    })
  }

  return {rediaccfiles: files.map((f) => f.folder), composeFiles, services: names}
}
