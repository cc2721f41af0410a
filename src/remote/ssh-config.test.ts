import {homedir, userInfo} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseSshConfig} from './ssh-config.js'
import {fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, parseOpenSshKey, toOpenSshLine} from './ssh-keys.js'

const CONFIG = `
# global defaults come last in real files; first value wins
Host prod-*  !prod-legacy
  HostName %h.internal.example.com
  User deploy
  Port 2222
  IdentityFile ~/.ssh/prod_%r

Host prod-legacy
  HostName=10.0.0.9
  User root

Match host *.example.com
  User matched

Host *
  User fallback
  Port 22
  IdentityFile "~/.ssh/id ed25519"
`

describe('parseSshConfig', () => {
  it('applies the first value of every matching Host block, with tokens and ~ expanded', () => {
    expect(parseSshConfig(CONFIG, 'prod-web')).toEqual({
      hostName: 'prod-web.internal.example.com',
      user: 'deploy',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh', 'prod_deploy'), join(homedir(), '.ssh', 'id ed25519')],
    })
  })

  it('honours negated patterns, key=value syntax, and skips Match blocks', () => {
    expect(parseSshConfig(CONFIG, 'prod-legacy')).toEqual({hostName: '10.0.0.9', user: 'root', port: 22, identityFiles: [join(homedir(), '.ssh', 'id ed25519')]})
    expect(parseSshConfig(CONFIG, 'other')).toEqual({user: 'fallback', port: 22, identityFiles: [join(homedir(), '.ssh', 'id ed25519')]})
    expect(parseSshConfig('Host x\n  IdentityFile %d/k-%u\n', 'x').identityFiles).toEqual([`${homedir()}/k-${userInfo().username}`])
    expect(parseSshConfig('', 'x')).toEqual({identityFiles: []})
  })
})

describe('ssh-keys', () => {
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'

  it('round-trips OpenSSH lines and fingerprints like ssh-keygen -lf', () => {
    const key = parseOpenSshKey(`${line} some comment`)
    expect(key.type).toBe('ssh-ed25519')
    expect(keyTypeOf(key.blob)).toBe('ssh-ed25519')
    expect(toOpenSshLine(key.blob)).toBe(line)
    // `ssh-keygen -lf` of this key prints SHA256:NTnVL+Ux0o/WCKJK+6TsZeV3H0854KSDmiNXfTXc3wM.
    expect(fingerprintOf(key.blob)).toBe('SHA256:NTnVL+Ux0o/WCKJK+6TsZeV3H0854KSDmiNXfTXc3wM')
  })

  it('refuses malformed keys and keys whose data holds another type', () => {
    expect(() => parseOpenSshKey('ssh-ed25519')).toThrow('not an OpenSSH public key')
    expect(() => parseOpenSshKey('ssh-ed25519 %%%')).toThrow('not an OpenSSH public key')
    expect(() => parseOpenSshKey(line.replace('ssh-ed25519', 'ecdsa-sha2-nistp256'))).toThrow('does not hold a ecdsa-sha2-nistp256 key')
  })

  it('offers the pinned key type only (RSA in its SHA-2 forms)', () => {
    expect(hostKeyAlgorithmsFor('ssh-ed25519')).toEqual(['ssh-ed25519'])
    expect(hostKeyAlgorithmsFor('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
  })
})
