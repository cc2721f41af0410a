// Bundles src/renet/main.ts into dist/renet.cjs: one file, no dependencies, Node 18 on the server.
import {build} from 'esbuild'
import {readFileSync} from 'node:fs'

const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

await build({
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
})
