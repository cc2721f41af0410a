import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {REPO_ROOT} from '../../test/testhost/instance.js'
import {run} from '../../test/testhost/run.js'

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

/** Whether dist/ (the CLI bundle and the renet bundle push-infra uploads) is missing or older than src/. */
export function buildIsStale(root = REPO_ROOT): boolean {
  const built = Math.min(mtime(join(root, 'dist/cli.cjs')), mtime(join(root, 'dist/renet.cjs')))
  return built < newestSource(join(root, 'src'))
}

/** `npm run build` in the project; a failure quotes the end of its output. */
export async function build(root = REPO_ROOT): Promise<void> {
  const r = await run('npm', ['--prefix', root, 'run', '--silent', 'build'])
  if (r.code !== 0) throw new Error(`npm run build (in ${root}) exited with ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-8).join(' | ')}`)
}
