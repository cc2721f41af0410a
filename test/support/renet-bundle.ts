import {build} from 'esbuild'

import {renetBuildOptions} from '../../scripts/build-renet.mjs'

/**
 * The renet bundle exactly as `npm run build` makes it, but reporting `version` — what an older or newer release
 * would have installed on a server. `padBytes` appends a comment, for tests that need a slow upload.
 */
export async function renetBundle(version: string, padBytes = 0): Promise<Buffer> {
  const result = await build(renetBuildOptions(version, {outfile: 'renet.cjs', write: false, logLevel: 'silent'}))
  const code = Buffer.from(result.outputFiles![0]!.text)
  return padBytes > 0 ? Buffer.concat([code, Buffer.from(`\n/*${'x'.repeat(padBytes)}*/\n`)]) : code
}
