#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, see scripts/build-cli.mjs). The bundle is compiled with a V8 code cache
// kept beside it, so start-up skips most parsing and compiling; without a usable one (first run, another Node)
// it is compiled normally and the cache is written on exit.
import {readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

const file = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url))

function loadBundle() {
  const require = createRequire(file)
  const cacheFile = `${file}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  // The bundle is ASCII (scripts/build-cli.mjs), so latin1 reads it without UTF-8 decoding.
  const source = `(function (exports, require, module, __filename, __dirname, __rdcImport) {${readFileSync(file, 'latin1')}\n})`
  const script = new vm.Script(source, {filename: file, cachedData})
  const mod = new Module(file)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(dirname(file))
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file), (specifier) => import(specifier))
  mod.loaded = true
  // oclif loads its command target (this file) by path: hand it this instance instead of a second copy.
  require.cache[file] = mod
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      // Written beside and renamed, so a concurrent rdc never reads half a cache (a read-only install just skips it).
      const temp = `${cacheFile}.${process.pid}`
      try {
        writeFileSync(temp, script.createCachedData())
        renameSync(temp, cacheFile)
      } catch {
        try {
          unlinkSync(temp)
        } catch {}
      }
    })
  }
  return mod.exports
}

const {COMMANDS, execute} = loadBundle()
const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
// The plugins (help, not-found, autocomplete) serve only `rdc help`, unknown commands and `rdc autocomplete`;
// one of our own commands (whose --help oclif's core renders) runs without locating and loading them.
const [a, b] = process.argv.slice(2)
if (a && !a.startsWith('-') && (COMMANDS[a] || (b && COMMANDS[`${a}:${b}`]))) pjson.oclif.plugins = []
await execute({dir: import.meta.url, loadOptions: {root, pjson}})
