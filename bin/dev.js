#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the TypeScript sources directly (no build step); for working on rdc itself. Commands are found in
// src/commands rather than in the built bundle that package.json names. CommonJS, like run.js (bin/package.json).
'use strict'
const {execute} = require('@oclif/core')
const {readFileSync} = require('node:fs')
const {join} = require('node:path')

const root = join(__dirname, '..')
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
pjson.oclif.commands = './src/commands'
pjson.oclif.hooks = {command_not_found: './src/hooks/command-not-found.ts'}
execute({development: true, dir: __filename, loadOptions: {pjson, root}})
