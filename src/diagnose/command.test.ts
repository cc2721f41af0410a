import {describe, expect, it} from 'vitest'

import type {Context} from '../config/schema.js'
import {NotFoundError, UsageError} from '../errors.js'
import {machinesToWalk} from './command.js'

const machine = {host: 'h', user: 'u', port: 22, datastore: '/mnt/rediacc', infra: {}} as unknown as Context['machines'][string]
const context = {
  ssh: {},
  machines: {'server-1': machine, 'server-2': machine, 'server-3': machine},
  repositories: {shop: {machine: 'server-2', networkId: 2816}},
} as unknown as Context

describe('which machines rdc diagnose walks', () => {
  it('-m as given (deduplicated, in order), else the machine of --repo, else the default machine, else all', () => {
    expect(machinesToWalk(context, {machines: ['server-3', 'server-1', 'server-3']})).toEqual(['server-3', 'server-1'])
    expect(machinesToWalk(context, {machines: [], repo: 'shop'})).toEqual(['server-2'])
    expect(machinesToWalk(context, {machines: [], defaultMachine: 'server-3'})).toEqual(['server-3'])
    expect(machinesToWalk(context, {machines: []})).toEqual(['server-1', 'server-2', 'server-3'])
    expect(machinesToWalk(context, {machines: ['server-1'], repo: 'shop'})).toEqual(['server-1'])
  })

  it('an unknown machine is NotFound with a suggestion; a context without machines is a usage error', () => {
    expect(() => machinesToWalk(context, {machines: ['server-4']})).toThrow(NotFoundError)
    try {
      machinesToWalk(context, {machines: ['server-4']})
    } catch (error) {
      expect((error as NotFoundError).suggestion).toBe('Did you mean "server-1"? Known machines: server-1, server-2, server-3.')
    }
    expect(() => machinesToWalk({...context, machines: {}}, {machines: []})).toThrow(UsageError)
  })
})
