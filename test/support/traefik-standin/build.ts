import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {build} from 'esbuild'

/** Bundles the stand-in (with its YAML parser) into one file that Node 18 runs; returns its content. */
export async function buildTraefikStandin(outDir: string): Promise<Buffer> {
  const outfile = join(outDir, 'traefik-standin.cjs')
  await build({
    entryPoints: [new URL('standin.ts', import.meta.url).pathname],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    logLevel: 'silent',
  })
  return readFileSync(outfile)
}
