import {REPO_ROOT} from '../../test/testhost/instance.js'
import {run} from '../../test/testhost/run.js'

/** `npm run build` in the project; a failure quotes the end of its output. */
export async function build(root = REPO_ROOT): Promise<void> {
  const r = await run('npm', ['--prefix', root, 'run', '--silent', 'build'])
  if (r.code !== 0) throw new Error(`npm run build (in ${root}) exited with ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-8).join(' | ')}`)
}
