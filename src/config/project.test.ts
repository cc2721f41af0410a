import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError} from '../errors.js'
import {findProjectConfig, mayHoldProjectConfig} from './project.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdc-foundation-project-'))
  await writeFile(join(dir, 'package.json'), '{"name": "app"}')
  await mkdir(join(dir, 'sub', 'deeper'), {recursive: true})
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('project config', () => {
  it('finds nothing (without loading cosmiconfig) when the project has no rdc config', async () => {
    expect(mayHoldProjectConfig(join(dir, 'sub', 'deeper'))).toBe(false)
    expect(await findProjectConfig(join(dir, 'sub', 'deeper'))).toBeUndefined()
  })

  it('finds .rdcrc.yaml, rdc.config.json and package.json#rdc from subfolders up to the project root', async () => {
    await writeFile(join(dir, '.rdcrc.yaml'), 'context: staging\nmachine: edge\n')
    expect(await findProjectConfig(join(dir, 'sub', 'deeper'))).toEqual({context: 'staging', machine: 'edge', filepath: join(dir, '.rdcrc.yaml')})
    await rm(join(dir, '.rdcrc.yaml'))
    await writeFile(join(dir, 'sub', 'rdc.config.json'), '{"machine": "m2"}')
    expect(await findProjectConfig(join(dir, 'sub', 'deeper'))).toMatchObject({machine: 'm2', context: undefined})
    await rm(join(dir, 'sub', 'rdc.config.json'))
    await writeFile(join(dir, 'package.json'), '{"name": "app", "rdc": {"context": "prod"}}')
    expect(await findProjectConfig(join(dir, 'sub'))).toMatchObject({context: 'prod', filepath: join(dir, 'package.json')})
  })

  it('refuses a project config with non-text values, naming the file', async () => {
    await writeFile(join(dir, '.rdcrc'), '{"context": 3}')
    await expect(findProjectConfig(dir)).rejects.toThrow(ConfigError)
    await expect(findProjectConfig(dir)).rejects.toThrow('.rdcrc')
  })
})
