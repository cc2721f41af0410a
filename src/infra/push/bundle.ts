import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import {UsageError} from '../../errors.js'

/** The renet bundle shipped with this rdc (dist/renet.cjs) and its version (the package's). */
export async function loadRenetBundle(): Promise<{bundle: Buffer; version: string; path: string}> {
  const bundleUrl = new URL('../../../dist/renet.cjs', import.meta.url)
  const path = fileURLToPath(bundleUrl)
  const bundle = await readFile(bundleUrl).catch(() => {
    throw new UsageError(`The renet bundle is missing at ${path}.`, {field: 'renet', suggestion: 'Build it: npm run build'})
  })
  const {version} = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {version: string}
  return {bundle, version, path}
}
