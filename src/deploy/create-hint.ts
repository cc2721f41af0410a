/**
 * The exact `rdc repo create …` line for a repository that is not recorded yet, as the guide's deploy line
 * (`rdc repo up my-app -m server-1 --mount`) needs it: its machine, the folder the user stands in (or its
 * `./<name>` subfolder when that holds the repository) and, for --mount, a size.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import type {Context, Repository} from '../config/schema.js'

/** The size suggested for an image-backed repository when the user has not chosen one (sparse: costs nothing up front). */
export const SUGGESTED_SIZE = '2G'

const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml']

/** `./<name>` when that folder has a compose file or a Rediaccfile, else `.` (the folder the user stands in). */
export function folderFor(name: string, cwd: string): string {
  const sub = join(cwd, name)
  return [...COMPOSE_FILES, 'Rediaccfile'].some((f) => existsSync(join(sub, f))) ? `./${name}` : '.'
}

export function createLine(name: string, context: Context, o: {machine?: string; mount?: boolean; cwd?: string} = {}): string {
  const machines = Object.keys(context.machines)
  const machine = o.machine ?? (machines.length === 1 ? machines[0] : '<machine>')
  return `rdc repo create ${name} -m ${machine} --path ${folderFor(name, o.cwd ?? process.cwd())}${o.mount ? ` --size ${SUGGESTED_SIZE}` : ''}`
}

/** How to give an image to a repository recorded without --size (the guide's `--mount` on a plain one). */
export function imageHint(name: string, repo: Repository, machine: string): string {
  return (
    `Deploy it as a plain folder (leave --mount out): rdc repo up ${name} -m ${machine}. ` +
    `Or give it an image: record it again with a size, then mount: rdc repo delete ${name} && rdc repo create ${name} -m ${machine} --path ${repo.path ?? '<folder>'} --size ${SUGGESTED_SIZE} && rdc repo up ${name} -m ${machine} --mount` +
    ` (if it was deployed before, its data folders on the server are hidden under the new image's mount: copy them first).`
  )
}
