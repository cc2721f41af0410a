import {describe, expect, it} from 'vitest'

import {errorJson, RemoteError, UsageError} from './errors.js'

describe('an error as --json shows it', () => {
  it('has kind, exit code, message, fix and the field a usage error names', () => {
    const e = new UsageError('--public-ipv4: 300.1.1.1 is not an IPv4 address', {field: 'public-ipv4', suggestion: 'Give e.g. 203.0.113.50'})
    expect(e.toJSON()).toEqual({kind: 'usage', exitCode: 2, message: '--public-ipv4: 300.1.1.1 is not an IPv4 address', suggestion: 'Give e.g. 203.0.113.50', field: 'public-ipv4'})
    expect(errorJson(e)).toEqual({error: e.toJSON()})
  })

  it('is what JSON.stringify writes, without stack, cause or the remote command it came from', () => {
    const e = new RemoteError('docker compose up failed (exit 1).', {host: 'm1', command: 'docker compose up', exitCode: 1, stderr: 'token=s3cr3t'}, {cause: new Error('inner s3cr3t')})
    const json = JSON.parse(JSON.stringify({error: e}))
    expect(json).toEqual({error: {kind: 'remote', exitCode: e.exitCode, message: 'docker compose up failed (exit 1).'}})
    expect(JSON.stringify(e)).not.toMatch(/s3cr3t|stack|cause/)
  })
})
