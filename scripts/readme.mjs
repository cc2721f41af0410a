// Regenerates the generated parts of the documentation:
//   docs/commands.md  the command reference, between <!-- commands --> and <!-- commandsstop -->
//                     (`oclif readme`, which reads oclif.manifest.json)
//   README.md         the exit-code table, between <!-- exit-codes --> and <!-- exit-codesstop -->
//                     (from EXIT_CODES in src/errors.ts, through the built dist/output/exit-code-table.js)
// `npm run readme` builds, refreshes the manifest and runs this script. With --check it writes nothing: it prints
// each file that differs from what it would write and exits 1 (test/manifest-readme.test.ts runs it that way).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const COMMANDS_DOC = 'docs/commands.md'
const README = 'README.md'
const check = process.argv.includes('--check')

/**
 * TEXT with its commands section regenerated. oclif rewrites a file in place, so it works on a copy. There is no
 * <!-- usage --> section on purpose: oclif would fill it with `npm install -g` of the package name, and the npm
 * package of that name is not this project. COLUMNS is fixed so the help text wraps the same on every terminal,
 * and oclif's own update check (a request to the npm registry) is skipped.
 */
function withCommandReference(text) {
  const dir = mkdtempSync(join(tmpdir(), 'rdc-readme-'))
  try {
    const copy = join(dir, 'commands.md')
    writeFileSync(copy, text)
    execFileSync(process.execPath, [join(root, 'node_modules/oclif/bin/run.js'), 'readme', '--no-aliases', '--readme-path', copy], {
      cwd: root,
      env: {...process.env, COLUMNS: '120', OCLIF_SKIP_NEW_VERSION_CHECK: 'true'},
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    return readFileSync(copy, 'utf8')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const {withExitCodeTable} = await import(new URL('dist/output/exit-code-table.js', new URL('..', import.meta.url)).href)
const files = [
  {path: COMMANDS_DOC, render: withCommandReference},
  {path: README, render: withExitCodeTable},
]

let stale = 0
for (const {path, render} of files) {
  const current = readFileSync(join(root, path), 'utf8')
  const fresh = render(current)
  if (fresh === current) continue
  if (check) {
    stale++
    console.error(`${path} is not what scripts/readme.mjs writes: run \`npm run readme\``)
  } else {
    writeFileSync(join(root, path), fresh)
    console.log(`wrote ${path}`)
  }
}

process.exitCode = stale > 0 ? 1 : 0
