import {describe, expect, it} from 'vitest'

import {knownHostsLine, systemSshArgs} from './system-ssh.js'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'

describe('rdc context ssh: the system ssh trusting the pinned key only', () => {
  it('writes the pinned key under the alias, without its comment', () => {
    expect(knownHostsLine('rdc-server-1', `${KEY} root@server`)).toBe(`rdc-server-1 ${KEY}\n`)
  })

  it('overrides every known_hosts source, never turns checking off, and quotes the command once', () => {
    const args = systemSshArgs({host: '203.0.113.50', port: 2222, user: 'root', privateKeyPath: '/k/id', hostKey: KEY}, {knownHostsPath: '/tmp/x/known_hosts', alias: 'rdc-s1', command: ['sh', '-c', "echo 'a b'"]})
    const opts = args.flatMap((a, i) => (args[i - 1] === '-o' ? [a] : []))
    expect(opts).toEqual(expect.arrayContaining(['UserKnownHostsFile=/tmp/x/known_hosts', 'GlobalKnownHostsFile=/dev/null', 'StrictHostKeyChecking=yes', 'HostKeyAlias=rdc-s1', 'HostKeyAlgorithms=ssh-ed25519', 'UpdateHostKeys=no']))
    expect(opts.some((o) => /StrictHostKeyChecking=(no|accept-new|off)/i.test(o))).toBe(false)
    expect(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2)).toEqual(['-i', '/k/id'])
    expect(args.slice(-4)).toEqual(['root', '--', '203.0.113.50', `sh -c 'echo '\\''a b'\\'''`])
    expect(args.slice(args.indexOf('-p'), args.indexOf('-p') + 2)).toEqual(['-p', '2222'])
  })

  it('opens a login shell when no command is given', () => {
    const args = systemSshArgs({host: 'h', port: 22, user: 'u', hostKey: KEY}, {knownHostsPath: 'k', alias: 'a', command: []})
    expect(args.at(-1)).toBe('h')
    expect(args).not.toContain('-i')
  })
})
