import {describe, expect, it} from 'vitest'

import {closest, plural, suggestName} from './did-you-mean.js'

describe('did-you-mean', () => {
  it('spells the plurals of the kinds it names', () => {
    expect(plural('machine')).toBe('machines')
    expect(plural('context')).toBe('contexts')
    expect(plural('repository')).toBe('repositories')
    expect(plural('key')).toBe('keys')
    expect(suggestName('webap', ['webapp', 'mail'], 'repository', 'create it')).toBe('Did you mean "webapp"? Known repositories: webapp, mail.')
    expect(suggestName('zzz', ['webapp'], 'repository', 'create it')).toBe('Known repositories: webapp.')
    expect(suggestName('zzz', [], 'repository', 'create it')).toBe('create it')
  })

  it('guesses only close names', () => {
    expect(closest('server1', ['server-1', 'edge'])).toBe('server-1')
    expect(closest('lock-wiat', ['lock-wait', 'mount'])).toBe('lock-wait')
    expect(closest('completely-else', ['mount'])).toBeUndefined()
  })
})
