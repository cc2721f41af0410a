#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, see scripts/build-cli.mjs). The bundle is compiled with a V8 code cache
// kept beside it, so start-up skips most parsing and compiling; without a usable one (first run, another Node)
// it is compiled normally and the cache is written on exit. This file is CommonJS (bin/package.json): an ES
// module entry would start Node's ESM loader, which costs more than everything the bundle needs to run a command.
'use strict'
const {readFileSync, renameSync, unlinkSync, writeFileSync} = require('node:fs')
const Module = require('node:module')
const {dirname, join} = require('node:path')
const vm = require('node:vm')

const root = join(__dirname, '..')
const file = join(root, 'dist', 'cli.cjs')

function loadBundle() {
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
  // A script compiled from a code cache has no import() callback on Node 20: the bundle imports through this one.
  const importFromHere = (specifier) => import(specifier)
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, dirname(file), importFromHere)
  mod.loaded = true
  // oclif loads its command target (this file) by path: hand it this instance instead of a second copy.
  require.cache[file] = mod
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      // Written beside and renamed, so a concurrent rdc never reads half a cache (a read-only install skips it).
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
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
// The plugins (help, autocomplete) serve only `rdc help` and `rdc autocomplete` (an unknown command goes to our
// command_not_found hook, which suggests their commands too); one of our own commands (whose --help oclif's core
// renders) runs without locating and loading them. (`in`, not a lookup: reading an entry of COMMANDS loads that
// command's code.)
const [a, b] = process.argv.slice(2)
if (a && !a.startsWith('-') && (a in COMMANDS || (b && `${a}:${b}` in COMMANDS))) pjson.oclif.plugins = []
execute({dir: __filename, loadOptions: {root, pjson}})
