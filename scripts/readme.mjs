// Regenerates the README's generated parts from the built CLI: the command reference (oclif readme, from the
// manifest) and the exit-code table (from EXIT_CODES). Run `npm run readme` after changing commands or codes.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'

const root = new URL('..', import.meta.url)
const readmePath = new URL('README.md', root)
execFileSync('npx', ['oclif', 'readme', '--no-aliases', '--readme-path', 'README.md'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
const {withExitCodeTable} = await import(new URL('dist/output/exit-code-table.js', root).href)
writeFileSync(readmePath, withExitCodeTable(readFileSync(readmePath, 'utf8')))
