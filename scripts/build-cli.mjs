// Bundles the CLI (every command under src/commands, @oclif/core, zod, yaml) into one CommonJS file,
// dist/cli.cjs, which oclif reads through its "explicit" command strategy (identifier COMMANDS).
// Why: loading @oclif/core, zod and yaml as hundreds of separate modules dominated start-up; one file that
// bin/run.js compiles with a V8 code cache (dist/cli.cjs.cache) starts several times faster.
// Packages a command loads lazily (ssh2, cosmiconfig, execa, listr2, …) stay outside, imported on first use.
import {build} from 'esbuild'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')
const BUNDLED = new Set(['@oclif/core', 'zod', 'yaml'])
const NEVER = new Set(['typescript', 'ts-node', 'tsx'])
// Packages oclif loads at start that running a command doesn't need: each shim says why (scripts/cli-shims).
const SHIMS = {
  semver: {importer: join('@oclif', 'core', 'lib', 'index.js'), path: join(root, 'scripts', 'cli-shims', 'semver.cjs')},
}

function commandFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return commandFiles(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

const files = commandFiles(join(src, 'commands')).sort()
const ids = files.map((f) => relative(join(src, 'commands'), f).replace(/\.ts$/, '').replace(/\/index$/, '').split(sep).join(':'))
// Each command is a getter that requires its module on first access: esbuild wraps a module reached through
// require() in a lazy initialiser, so a run evaluates only the command it runs (and what that imports). With the
// manifest present oclif reads just COMMANDS[id] of the command being run; without it (manifest and README
// generation) it enumerates the entries, which loads them all.
const entry = [
  `const COMMANDS = {}`,
  ...files.map((f, i) =>
    `Object.defineProperty(COMMANDS, ${JSON.stringify(ids[i])}, {enumerable: true, get: () => require(${JSON.stringify(f)}).default})`),
  `export {COMMANDS}`,
  `export {execute} from '@oclif/core'`,
].join('\n')

const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0])

const result = await build({
  write: false,
  stdin: {contents: entry, resolveDir: src, sourcefile: 'cli-entry.ts', loader: 'ts'},
  outfile: join(root, 'dist', 'cli.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // Pure ASCII, so bin/run.js can read it as latin1 (no UTF-8 decoding) and V8 keeps it a one-byte string.
  charset: 'ascii',
  logLevel: 'warning',
  plugins: [
    {
      name: 'rdc-externals',
      setup(b) {
        b.onResolve({filter: /^[^./]/}, (args) => {
          if (args.path.startsWith('node:') || args.kind === 'entry-point') return undefined
          const shim = SHIMS[args.path]
          if (shim && args.importer.endsWith(shim.importer)) return {path: shim.path}
          const name = packageName(args.path)
          if (NEVER.has(name)) return {path: args.path, external: true}
          // Our own code: bundle only the always-needed packages; the rest load lazily from node_modules.
          if (args.importer.startsWith(src) || args.importer === '<stdin>' || args.importer.endsWith('cli-entry.ts')) {
            return BUNDLED.has(name) ? undefined : {path: args.path, external: true}
          }
          return undefined
        })
        // oclif sorts each plugin's commands with localeCompare on every run; the first call loads ICU's
        // collation data (about 7 ms). compareIds gives the same order without it (scripts/cli-shims).
        b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
          const sort = '.sort((a, b) => a.id.localeCompare(b.id))'
          const contents = readFileSync(args.path, 'utf8')
          if (!contents.includes(sort)) throw new Error(`${args.path}: the command sort to replace is gone; update scripts/build-cli.mjs`)
          const compare = JSON.stringify(join(root, 'scripts', 'cli-shims', 'compare-ids.cjs'))
          return {contents: contents.replace(sort, `.sort((a, b) => require(${compare}).compareIds(a.id, b.id))`), loader: 'js'}
        })
        // Keep import.meta.{url,dirname,filename} pointing where tsc's output for that file would be (dist/…).
        b.onLoad({filter: /\.ts$/}, (args) => {
          if (!args.path.startsWith(src)) return undefined
          const rel = relative(src, args.path).replace(/\.ts$/, '.js')
          const contents = readFileSync(args.path, 'utf8')
            .replace(/import\.meta\.url/g, `__rdcUrl(${JSON.stringify(rel)})`)
            .replace(/import\.meta\.dirname/g, `require('node:path').join(__dirname, ${JSON.stringify(dirname(rel))})`)
            .replace(/import\.meta\.filename/g, `require('node:path').join(__dirname, ${JSON.stringify(rel)})`)
          return {contents, loader: 'ts'}
        })
      },
    },
  ],
})
// esbuild leaves raw characters inside some regular expressions; \uXXXX means the same there and in strings.
// Dynamic import() calls go through __rdcImport: code compiled by vm.Script from a code cache loses Node 20's
// import() callback, so bin/run.js passes a function that imports from its own (ESM) context.
const code = result.outputFiles[0].text
  .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  .replace(/(^|[^\w$.'"`\\])import\(/g, '$1__rdcImport(')
// Loaded by plain require (oclif's own loader in tests), the bundle has no __rdcImport parameter: use import().
const banner = "var __rdcImport=typeof __rdcImport==='function'?__rdcImport:(s)=>import(s);const __rdcUrl=(p)=>require('node:url').pathToFileURL(require('node:path').join(__dirname,p)).href;\n"
mkdirSync(join(root, 'dist'), {recursive: true})
writeFileSync(join(root, 'dist', 'cli.cjs'), banner + code)

// Write the code cache from a representative run (reading a context file, parsing flags, printing JSON), so
// the first real command already starts from it.
const {execFileSync} = await import('node:child_process')
const {mkdtempSync, rmSync} = await import('node:fs')
const {tmpdir} = await import('node:os')
rmSync(join(root, 'dist', 'cli.cjs.cache'), {force: true})
const warm = mkdtempSync(join(tmpdir(), 'rdc-build-cache-'))
try {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
  writeFileSync(join(warm, 'config.yaml'), `version: 1\ncurrent: c\ncontexts:\n  c:\n    machines:\n      m: {host: h, user: u, hostKey: ${key}, infra: {baseDomain: example.com}}\n`)
  writeFileSync(join(warm, 'package.json'), '{}')
  execFileSync(process.execPath, [join(root, 'bin', 'run.js'), 'context', 'show-infra', 'm', '--json'], {
    cwd: warm,
    env: {...process.env, RDC_CONFIG: join(warm, 'config.yaml'), RDC_CONTEXT: '', RDC_MACHINE: ''},
    stdio: 'ignore',
  })
} finally {
  rmSync(warm, {recursive: true, force: true})
}
