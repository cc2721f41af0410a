/**
 * Makes `renet` resolve inside Rediaccfiles to the very program that runs them (same version, even when it
 * was started as `node …/renet.cjs`): a private folder with a `renet` script, put first on PATH, followed by
 * the running program's own folder.
 */
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

export interface RenetProgram {
  /** The node binary (process.execPath). */
  node: string
  /** Absolute path of renet's script (dist/renet.cjs or the installed renet.cjs). */
  script: string
}

export interface RenetShim {
  /** PATH with the shim folder and renet's folder in front of BASE. */
  path(base: string | undefined): string
  remove(): void
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

export function renetShimScript(program: RenetProgram): string {
  return `#!/bin/sh\nexec ${shellQuote(program.node)} ${shellQuote(program.script)} "$@"\n`
}

export function createRenetShim(program: RenetProgram): RenetShim {
  const dir = mkdtempSync(join(tmpdir(), 'renet-shim-'))
  const file = join(dir, 'renet')
  writeFileSync(file, renetShimScript(program))
  chmodSync(file, 0o755)
  return {
    path: (base) => [dir, dirname(program.script), ...(base ? [base] : [])].join(':'),
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}
