import {describe, expect, it} from 'vitest'

import {parseComposeArgs} from './args.js'

describe('parseComposeArgs', () => {
  it('splits renet options from docker compose arguments at --', () => {
    expect(parseComposeArgs(['--repo-path', '/r', '--network-id=2880', '--name', 'app', '--docker-host', 'unix:///s', '--', 'up', '-d'])).toEqual({
      flags: {repoPath: '/r', networkId: '2880', name: 'app', dockerHost: 'unix:///s'},
      files: [],
      composeArgs: ['up', '-d'],
      help: false,
    })
  })

  it('takes -f/--file from renet options and from compose global options, but not from subcommand options', () => {
    expect(parseComposeArgs(['-f', 'a.yml', '--', '--file=b.yml', '-p', 'proj', '-fc.yml', 'logs', '-f', 'web'])).toEqual({
      flags: {},
      files: ['a.yml', 'b.yml', 'c.yml'],
      composeArgs: ['-p', 'proj', 'logs', '-f', 'web'],
      help: false,
    })
  })

  it('works without -- and keeps compose help apart from its own', () => {
    expect(parseComposeArgs(['up', '-d']).composeArgs).toEqual(['up', '-d'])
    expect(parseComposeArgs(['--help']).help).toBe(true)
    expect(parseComposeArgs(['--', '--help'])).toMatchObject({help: false, composeArgs: ['--help']})
  })

  it('refuses an option without its value', () => {
    expect(() => parseComposeArgs(['--network-id'])).toThrow('--network-id needs a value')
    expect(() => parseComposeArgs(['--', '-f'])).toThrow('-f needs a file')
  })
})
