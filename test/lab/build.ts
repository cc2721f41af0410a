/** The built CLI the lab runs: where it is, and building it when the sources are newer. */
import {execFileSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The installed entry point, as `rdc` on a user's PATH runs it. */
export const BIN = join(ROOT, 'bin', 'run.js')

function newestSource(dir: string): number {
  let max = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) max = Math.max(max, newestSource(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) max = Math.max(max, statSync(path).mtimeMs)
  }

  return max
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

/** Whether dist/ (the CLI bundle bin/run.js loads and the renet bundle push-infra uploads) is missing or older than src/. */
export function buildIsStale(root = ROOT): boolean {
  const built = Math.min(mtime(join(root, 'dist/cli.cjs')), mtime(join(root, 'dist/renet.cjs')))
  return built < newestSource(join(root, 'src'))
}

let checked = false

/**
 * Tests run the built CLI (dist/, as users get it, with the manifest). `npm test` builds first; when vitest is
 * run on its own and the sources are newer than the build, build once here.
 */
export function ensureBuilt(): void {
  if (checked) return
  checked = true
  if (buildIsStale()) execFileSync('npm', ['run', '--silent', 'build'], {cwd: ROOT, stdio: 'inherit'})
}
