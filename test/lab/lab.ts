/**
 * A lab: a temp folder with its own context file, and the built CLI bound to that file. Every machine a test,
 * benchmark or the demo sets up lives in one (see machine.ts).
 */
import {cpSync, existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ROOT} from './build.js'
import {cli, type CliOptions, type CliResult, spawnCli, type SpawnedCli} from './cli.js'

export interface Lab {
  dir: string
  /** The lab's context file. */
  config: string
  /** Runs the built CLI on the lab's context file, in the lab's folder unless `cwd` says otherwise. */
  cli(args: string[], options?: Omit<CliOptions, 'config'>): Promise<CliResult>
  /** The same, handing back the live child (to watch its progress, signal it, race it). */
  spawn(args: string[], options?: Omit<CliOptions, 'config'>): SpawnedCli
  /** A copy of examples/<name> (or any folder) to deploy from. */
  copyExample(name: string, as?: string): string
  cleanup(): void
}

export function newLab(options: {prefix?: string} = {}): Lab {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'rdc-lab-'))
  const config = join(dir, 'config.yaml')
  return {
    dir,
    config,
    cli: (args, o = {}) => cli(args, {cwd: dir, ...o, config}),
    spawn: (args, o = {}) => spawnCli(args, {cwd: dir, ...o, config}),
    copyExample(name, as = name) {
      const to = join(dir, 'src', as)
      cpSync(existsSync(name) ? name : join(ROOT, 'examples', name), to, {recursive: true})
      return to
    },
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  }
}
