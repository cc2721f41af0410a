#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the TypeScript sources directly (no build step); for working on rdc itself. Commands are found in
// src/commands rather than in the built bundle that package.json names.
import {Config, execute} from '@oclif/core'
import {readFileSync} from 'node:fs'

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './src/commands'
await execute({development: true, dir: import.meta.url, loadOptions: {pjson, root: new URL('..', import.meta.url).pathname}})
