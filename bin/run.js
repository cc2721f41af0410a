#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, see scripts/build-cli.mjs). The bundle is compiled with a V8 code cache
// kept beside it, so start-up skips most parsing and compiling; without one (first run, new Node, or an old
// Node 20 without vm's default dynamic-import loader) it is compiled normally and the cache is written on exit.
import {readFileSync, writeFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

const file = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url))

function loadBundle() {
  const require = createRequire(file)
  const importModuleDynamically = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
  if (!importModuleDynamically) return require(file)
  const cacheFile = `${file}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  const script = new vm.Script(Module.wrap(readFileSync(file, 'latin1')), {filename: file, cachedData, importModuleDynamically})
  const mod = new Module(file)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(dirname(file))
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file))
  mod.loaded = true
  // oclif loads its command target (this file) by path: hand it this instance instead of a second copy.
  require.cache[file] = mod
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        writeFileSync(cacheFile, script.createCachedData())
      } catch {}
    })
  }
  return mod.exports
}

await loadBundle().execute({dir: import.meta.url})
