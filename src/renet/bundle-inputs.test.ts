/**
 * renet runs on the server under Node 18 as one esbuild bundle. What it may pull in is fixed here, so the bundle
 * cannot quietly grow a dependency on CLI code (commands, config, SSH, push, diagnose) or on a package the server
 * does not need: its own folder, the layout and network arithmetic it shares with the CLI, the error hierarchy,
 * and YAML.
 */
import {build} from 'esbuild'
import {describe, expect, it} from 'vitest'

// The options `npm run build` uses, so this checks exactly what ships.
import {renetBuildOptions} from '../../scripts/build-renet.mjs'

const ALLOWED = [/^src\/renet\//, /^src\/layout\//, /^src\/net\//, /^src\/errors\.ts$/, /^node_modules\/yaml\//]

/** The inputs of a bundle that are outside what renet may use. */
function foreignInputs(inputs: readonly string[]): string[] {
  return inputs.filter((path) => !ALLOWED.some((allowed) => allowed.test(path)))
}

describe('the renet bundle', () => {
  it('is built only from src/renet, the shared layout and net modules, src/errors.ts and yaml', async () => {
    const result = await build(renetBuildOptions('0.0.0-test', {write: false, metafile: true}))
    const inputs = Object.keys(result.metafile!.inputs)
    expect(inputs).toContain('src/renet/main.ts')
    expect(inputs).toContain('src/layout/server.ts')
    expect(foreignInputs(inputs)).toEqual([])
  })

  it('names what it would pull in from elsewhere', () => {
    expect(
      foreignInputs([
        'src/renet/main.ts',
        'src/layout/server.ts',
        'src/net/network.ts',
        'src/errors.ts',
        'node_modules/yaml/dist/index.js',
        'src/deploy/sync-tree.ts',
        'src/config/schema.ts',
        'node_modules/ssh2/lib/client.js',
        'src/renet-extra/x.ts',
      ]),
    ).toEqual(['src/deploy/sync-tree.ts', 'src/config/schema.ts', 'node_modules/ssh2/lib/client.js', 'src/renet-extra/x.ts'])
  })
})
