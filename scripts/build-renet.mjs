// Bundles src/renet/main.ts into dist/renet.cjs: one file, no dependencies, Node 18 on the server.
// The options are exported so tests that need a bundle of another version build exactly what this builds.
import {build} from 'esbuild'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** esbuild options for a renet bundle reporting `version` (written to `outfile`, or returned when write is false). */
export function renetBuildOptions(version, overrides = {}) {
  return {
    absWorkingDir: root,
    entryPoints: ['src/renet/main.ts'],
    outfile: 'dist/renet.cjs',
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    banner: {js: '#!/usr/bin/env node'},
    define: {__RENET_VERSION__: JSON.stringify(version)},
    legalComments: 'none',
    logLevel: 'warning',
    ...overrides,
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  await build(renetBuildOptions(version))
}
